"""The baseline: a bare Flask app, served the same way as the marketplace."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
