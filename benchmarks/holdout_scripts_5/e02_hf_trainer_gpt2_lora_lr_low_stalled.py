"""Hugging Face Trainer + peft LoRA on a tiny GPT-2, learning rate far too low -- stalled.

Same tiny GPT-2 and Markov data as e01, wrapped with peft get_peft_model(LoraConfig(r=8, lora_alpha=32,
target_modules c_attn/c_proj/c_fc/lm_head, fan_in_fan_out=True)): 24.6k trainable LoRA parameters, the base frozen.
Trainer with learning_rate=5e-5 (Trainer's own default, a full-fine-tune rate; LoRA wants ~20x more), 5 warmup
steps then constant, batch 16, max_steps=60, report_to=[], save_strategy="no". ~13 s.

Measured with the plain runner beside it (torch's global optimizer step hooks; per-step loss = the scalar
backward() was called on; ratio = median over parameter tensors of ||W_after - W_before|| / ||W_before||):
  (in this folder) OMP_NUM_THREADS=1 ../../.venv/bin/python _measure.py -- e02_hf_trainer_gpt2_lora_lr_low_stalled.py
  steps  loss start / max (step) / min / end   total grad norm   ratio lora_A / lora_B (median at the step)
  10     4.02 / 4.03 (1) / 4.00 / 4.00         0.48..0.54        5.0e-04 / 0.16
  20     4.02 / 4.03 (1) / 4.00 / 4.00         0.48..0.56        5.9e-04 / 0.063
  30     4.02 / 4.03 (1) / 4.00 / 4.00         0.48..0.57        6.8e-04 / 0.040
  40     4.02 / 4.03 (1) / 4.00 / 4.01         0.48..0.59        7.4e-04 / 0.030
(lora_B starts at exactly 0, so its relative change is large, ~1/step, while its absolute size stays tiny:
~lr per element per step.)

Why "stalled": the loss does not move (4.02 -> 4.01 after 40 steps, per-step values 3.98-4.03) with normal
gradients; the lora_A matrices move ~6e-4 of their norm per step and the B matrices stay near zero, so the adapter's
product B.A changes the model by almost nothing. Control, the same script at 20x the rate (--lr 1e-3): the loss
falls 4.02 -> 3.93 / 3.78 / 3.67 / 3.47 at 10/20/30/40 steps (lora_A ratio ~8e-3 per step).
"""

import argparse
import tempfile

import torch
from peft import LoraConfig, get_peft_model
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

EXPECTED = {"verdict": "stalled", "others": ["healthy", "frozen"]}

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
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-steps", type=int, default=60)
    args = parser.parse_args()

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=VOCAB, n_positions=LENGTH, n_embd=64, n_layer=2, n_head=2,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)  # fmt: skip
    model = GPT2LMHeadModel(config)
    lora = LoraConfig(r=8, lora_alpha=32, lora_dropout=0.0, target_modules=["c_attn", "c_proj", "c_fc", "lm_head"],
                      fan_in_fan_out=True, task_type="CAUSAL_LM")  # fmt: skip
    model = get_peft_model(model, lora)
    model.print_trainable_parameters()
    train = MarkovText(2048, seed=1)

    with tempfile.TemporaryDirectory() as out:
        training_args = TrainingArguments(
            output_dir=out, max_steps=args.max_steps, per_device_train_batch_size=16, learning_rate=args.lr,
            weight_decay=0.01, warmup_steps=5, lr_scheduler_type="constant_with_warmup", logging_steps=10,
            save_strategy="no", report_to=[], use_cpu=True, seed=0, disable_tqdm=True, dataloader_num_workers=0,
        )  # fmt: skip
        trainer = Trainer(model=model, args=training_args, train_dataset=train)
        result = trainer.train()
    print(f"final train loss {result.training_loss:.4f}")


if __name__ == "__main__":
    main()
