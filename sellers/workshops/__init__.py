"""Workshops: trainers teach digital selling to a room of returnees, who practise a whole sale.

A workshop has a short join code, members (participants), a live board for the projector,
a practice market whose products and orders never reach the real store, and a follow-up report
that shows who kept going after the day.
"""
