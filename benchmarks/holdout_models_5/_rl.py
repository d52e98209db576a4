"""A stable-baselines3 PPO actor-critic policy and fixed synthetic behaviour-cloning batches (no EXPECTED)."""

import torch
import torch.nn.functional as F

OBS, ACTIONS, BATCH, N_BATCHES = 8, 4, 64, 8


def ppo_policy():
    """PPO's MlpPolicy network: sb3 ActorCriticPolicy, default net_arch (pi 64-64, vf 64-64), Tanh, orthogonal
    init; the policy's own Adam is built by sb3 but not used (the script's `optimizer` is). Seed torch first."""
    from gymnasium import spaces
    from stable_baselines3.common.policies import ActorCriticPolicy

    obs_space = spaces.Box(low=-10.0, high=10.0, shape=(OBS,), dtype="float32")
    return ActorCriticPolicy(obs_space, spaces.Discrete(ACTIONS), lr_schedule=lambda _: 3e-4)


def bc_batches():
    """(observations, (expert actions, returns)): expert action = argmax of a fixed linear score of the
    observation, return = a fixed linear function of it plus noise."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(OBS, ACTIONS, generator=g)
    v = torch.randn(OBS, generator=g) / OBS**0.5
    out = []
    for _ in range(N_BATCHES):
        obs = torch.randn(BATCH, OBS, generator=g)
        actions = (obs @ w).argmax(1)
        returns = obs @ v + 0.1 * torch.randn(BATCH, generator=g)
        out.append((obs, (actions, returns)))
    return out


def bc_loss(policy, batch):
    """Behaviour cloning for the actor (negative log-likelihood of the expert action) + 0.5 x value MSE."""
    obs, (actions, returns) = batch
    dist = policy.get_distribution(obs)
    values = policy.predict_values(obs).squeeze(-1)
    return -dist.log_prob(actions).mean() + 0.5 * F.mse_loss(values, returns)
