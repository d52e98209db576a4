"""pytorch/examples reinforcement_learning/actor_critic.py (Adam lr 3e-2, one episode per step), unmodified,
--seed 4: unstable.

Labelled from the script's own printout (`python actor_critic.py --seed 4` in a checkout of pytorch/examples,
the running average of the episode reward every 10 episodes): at this seed it collapses onto one action:
average reward 10.0 after 40 episodes, the worst CartPole score. The same script with its rate lowered to 3e-3
(a copy, for the label only) learns from the start at seed 543: average reward 36 after 40 episodes, 111 after
100; at 3e-2 the outcome is a seed's gamble.
"""

from _example import run_example

EXPECTED = {"verdict": "unstable", "others": ["healthy"]}

if __name__ == "__main__":
    run_example("actor_critic.py", "--seed", "4")
