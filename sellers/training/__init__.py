"""Training modules for sellers: lessons and quizzes kept as Markdown data files."""
