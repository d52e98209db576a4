"""A LoRA fine-tune at a learning rate far too high (issue 23, story 3), written for the tests.

The LoRA classifier of _lora.py, its adapters trained by AdamW at lr 0.5 where LoRA is trained at
1e-4..1e-3. B starts at exactly zero, so its update ratio is meaningless at first and A's gradient
passes through it; the loss jumps on the first steps, never gets back under its start, and the
gradient bursts. At AdamW 1e-3 the same adapters take the loss steadily down. Running this file
prints the per-step table.
"""

from _lora import data, loss_of, model, optimizer_at

LR = 0.5
optimizer = optimizer_at(LR)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, loss_of)


EXPECTED = {"verdict": "unstable", "layers": {}, "others": ["healthy", "frozen"], "recommend": ["learning_rate"]}
