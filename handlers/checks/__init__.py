"""The rules held against the rules themselves (rules_check) and against an org's metadata
(preflight): what a valid rules file does that its author probably did not mean, and what the
org would refuse.
"""
