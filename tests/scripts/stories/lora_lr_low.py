"""A LoRA fine-tune at the Hugging Face Trainer's default rate (issue 23, story 1), written for the tests.

The LoRA classifier of _lora.py, its adapters trained by AdamW at 5e-5: the Trainer's default, a
full fine-tune's rate, where LoRA is trained at 1e-4..1e-3. Under AdamW each adapter weight moves
about the rate a step, so A moves well under 1e-3 of its size and B stays near the zero it
started at; the loss crawls, out of its batches' noise but at a pace that needs thousands of
steps. Measured below. Running this file prints the per-step table.
"""

from _lora import data, loss_of, model, optimizer_at

LR = 5e-5
optimizer = optimizer_at(LR)


if __name__ == "__main__":
    from _loop import main

    main(model, data, optimizer, loss_of)


EXPECTED = {"verdict": "stalled", "layers": {}, "others": ["healthy", "frozen"], "recommend": ["learning_rate"]}
