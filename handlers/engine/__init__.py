"""Deciding and converting one lead: the rules file (rules, templates), the decision (matching,
plan, payload), the call (conversion) and what came of it (outcome, failure_note).
"""
