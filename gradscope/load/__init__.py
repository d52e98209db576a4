"""Reading a model script, and the sandbox that runs user code as Python would."""
