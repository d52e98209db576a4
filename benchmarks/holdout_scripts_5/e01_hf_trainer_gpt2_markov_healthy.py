"""Hugging Face Trainer fine-tune of a tiny GPT-2 on synthetic Markov-chain text -- healthy.

Model: transformers GPT2LMHeadModel from a tiny GPT2Config (vocab 64, 32 positions, n_embd 64, 2 layers, 2 heads,
no dropout), random init. Data: a torch Dataset of 2048 synthetic sequences from a fixed random Markov chain (each
token has 4 likely successors, 10% uniform noise); chance loss ln 64 = 4.16. Trainer: AdamW lr=1e-3, weight decay
0.01, 5 warmup steps then linear decay, batch 16, max_steps=50, max_grad_norm 1.0 (Trainer default), report_to=[],
save_strategy="no", use_cpu=True. 50 optimizer steps, ~10 s.

Measured with the plain runner beside it (torch's global optimizer step hooks; per-step loss = the scalar
backward() was called on; ratio = median over parameter tensors of ||W_after - W_before|| / ||W_before||):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure.py -- e01_hf_trainer_gpt2_markov_healthy.py
  steps  loss start / max (step) / min / end   total grad norm (after clip)   median-tensor update ratio (at step)
  10     4.02 / 4.03 (1) / 3.76 / 3.76         0.97..1.0                      0..0.06 (0.041)
  20     4.02 / 4.03 (1) / 3.52 / 3.52         0.97..1.0                      0..0.06 (0.020)
  30     4.02 / 4.03 (1) / 3.37 / 3.37         0.97..1.0                      0..0.06 (0.012)
  40     4.02 / 4.03 (1) / 3.28 / 3.28         0.97..1.0                      0..0.06 (0.0069)
(step 1 has ratio 0: warmup starts at lr 0; 13 bias tensors start at norm 0 and are left out of step 1.)

Why "healthy": the loss falls steadily from 4.02 to 3.28 in 40 steps and never exceeds its start by more than
0.01; the gradient is normal (the pre-clip norm is ~1, so clipping barely acts); the weights move 1-6% per step,
shrinking as the linear decay lowers the rate. Controls: --lr 3e-3 gives 3.57/3.13/2.84/2.69 at 10/20/30/40 (faster,
still smooth); --lr 1e-5 stays at 4.00-4.02 (ratio ~3e-4), which is what stalled looks like here.
"""

import argparse
import tempfile

import torch
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

EXPECTED = {"verdict": "healthy", "others": ["healthy"]}

VOCAB, LENGTH = 64, 32


class MarkovText(torch.utils.data.Dataset):
    """Token sequences from a fixed random Markov chain: each token has 4 likely successors."""

    def __init__(self, size: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        successors = torch.randint(0, VOCAB, (VOCAB, 4), generator=g)
        ids = torch.empty(size, LENGTH, dtype=torch.long)
        ids[:, 0] = torch.randint(0, VOCAB, (size,), generator=g)
        for t in range(1, LENGTH):
            pick = successors[ids[:, t - 1], torch.randint(0, 4, (size,), generator=g)]
            noise = torch.randint(0, VOCAB, (size,), generator=g)
            ids[:, t] = torch.where(torch.rand(size, generator=g) < 0.9, pick, noise)
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--max-steps", type=int, default=50)
    args = parser.parse_args()

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=VOCAB, n_positions=LENGTH, n_embd=64, n_layer=2, n_head=2,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)  # fmt: skip
    model = GPT2LMHeadModel(config)
    train = MarkovText(2048, seed=1)

    with tempfile.TemporaryDirectory() as out:
        training_args = TrainingArguments(
            output_dir=out, max_steps=args.max_steps, per_device_train_batch_size=16, learning_rate=args.lr,
            weight_decay=0.01, warmup_steps=5, logging_steps=10, save_strategy="no", report_to=[],
            use_cpu=True, seed=0, disable_tqdm=True, dataloader_num_workers=0,
        )  # fmt: skip
        trainer = Trainer(model=model, args=training_args, train_dataset=train)
        result = trainer.train()
    print(f"final train loss {result.training_loss:.4f}")


if __name__ == "__main__":
    main()
