"""The ways in: the webhook, the scheduled sweep and the command line; each reads its input,
asks the runtime for what it needs and answers (handlers.doors.answer). The only wing that
knows a web framework.
"""
