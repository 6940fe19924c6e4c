"""All logic of the Zoho lead converter; main.py only imports from here.

`__version__` is the one place the version is written: pyproject.toml reads it (a dynamic version),
so the installed metadata, the CLI's `--version` and every log line agree, and the deployed
function, which is zipped from source and never installed, has it without package metadata.
"""

__version__ = "0.3.0"
