"""The scheduled sweep: which leads to read (query, coql), and the run that converts them with
the engine, in Mass Convert batches or singly, within its time budget.
"""
