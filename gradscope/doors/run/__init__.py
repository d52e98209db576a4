"""`gradscope run`: an unmodified training script observed from outside.

script.py runs the script as Python would and says how it ended; observer.py
sees its optimizers step, through the hooks of patches.py, and measures them;
losses.py finds each step's loss; stopping.py decides when the script has been
measured; models.py finds and names the models its optimizers step.
"""
