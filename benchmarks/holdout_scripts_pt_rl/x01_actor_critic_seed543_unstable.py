"""pytorch/examples reinforcement_learning/actor_critic.py (Adam lr 3e-2, one episode per step), unmodified,
--seed 543: unstable.

Labelled from the script's own printout (`python actor_critic.py --seed 543` in a checkout of
pytorch/examples, the running average of the episode reward every 10 episodes): at this seed it collapses onto
one action: average reward 10.8 after 10 episodes, 9.8 after 40 and 9.4 after 130 (always pushing one way
scores 9-10; a random policy about 22), before it recovers by luck near episode 150. The same script with its
rate lowered to 3e-3 (a copy, for the label only) learns from the start at seed 543: average reward 36 after
40 episodes, 111 after 100; at 3e-2 the outcome is a seed's gamble.
"""

from _example import run_example

EXPECTED = {"verdict": "unstable", "others": ["healthy"]}

if __name__ == "__main__":
    run_example("actor_critic.py", "--seed", "543")
