"""pytorch/examples reinforcement_learning/reinforce.py (Adam lr 1e-2, one episode per step), unmodified, --seed
543: healthy.

Labelled from the script's own printout (`python reinforce.py --seed 543` in a checkout of pytorch/examples,
the running average of the episode reward every 10 episodes): at this seed it learns: average reward 16.5
after 10 episodes, 36.5 after 40, 109 after 100.
"""

from _example import run_example

EXPECTED = {"verdict": "healthy"}

if __name__ == "__main__":
    run_example("reinforce.py", "--seed", "543")
