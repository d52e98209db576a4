# A character-level GPT small enough for a CPU test, in the form of nanoGPT's config files.
out_dir = "out-tiny-char"
eval_interval = 50
eval_iters = 2
gradient_accumulation_steps = 2
batch_size = 8
block_size = 32
n_layer = 2
n_head = 2
n_embd = 32
dropout = 0.0
learning_rate = 1e-3
max_iters = 2000
lr_decay_iters = 2000
min_lr = 1e-4
warmup_iters = 10
