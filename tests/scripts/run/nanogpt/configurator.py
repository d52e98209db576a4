# Read by train.py with exec(), as nanoGPT does: each argument is either a config file, run as
# Python over train.py's globals, or --key=value overriding one of those globals.
import sys
from ast import literal_eval

for arg in sys.argv[1:]:
    if not arg.startswith("--"):
        print(f"Overriding config with {arg}:")
        with open(arg) as f:  # noqa: PTH123
            exec(f.read())
        continue
    key, _, text = arg[2:].partition("=")
    if key not in globals():
        raise ValueError(f"Unknown config key: {key}")
    try:
        value = literal_eval(text)
    except (SyntaxError, ValueError):
        value = text
    if type(value) is not type(globals()[key]):
        raise TypeError(f"--{key}: expected {type(globals()[key]).__name__}, got {text!r}")
    print(f"Overriding: {key} = {value}")
    globals()[key] = value
