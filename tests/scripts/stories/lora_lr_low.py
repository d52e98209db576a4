"""A LoRA fine-tune at the Hugging Face Trainer's default rate (issue 23, story 1), written for the tests.

The LoRA classifier of _lora.py, its adapters trained by AdamW at 5e-5: the Trainer's default, a
full fine-tune's rate, far under what these small adapters train at. Under AdamW each adapter weight moves
about the rate a step, so A moves well under 1e-3 of its size and B stays near the zero it
started at. Measured with this file's plain loop (torch 2.13 CPU, 1 thread): the loss does not
move in 40 steps (2.09 -> 2.10), where AdamW at 3e-3 takes it to 1.95 in 20 steps and 1.41 in 40,
and at 1e-2 to 1.22 and 0.48. Running this file prints the per-step table.
"""

from _lora import data, loss_of, model, optimizer_at

LR = 5e-5
optimizer = optimizer_at(LR)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, loss_of)


EXPECTED = {"verdict": "stalled", "layers": {}, "others": ["healthy", "frozen"], "recommend": ["learning_rate"]}
