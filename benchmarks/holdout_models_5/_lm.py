"""Shared synthetic data and tiny Hugging Face builders for the d-series hold-outs.

Not a model script (no EXPECTED): the d-scripts build `model` and `data` from it at import time.
"""

import torch

VOCAB, LEN, BATCH, N_BATCHES = 16, 32, 16, 8


def markov_ids(n_batches: int = N_BATCHES, vocab: int = VOCAB, length: int = LEN, batch: int = BATCH, seed: int = 0):
    """Token sequences from a fixed first-order Markov chain with peaked rows (low-entropy next token)."""
    g = torch.Generator().manual_seed(seed)
    trans = torch.softmax(3.0 * torch.randn(vocab, vocab, generator=g), dim=1)
    out = []
    for _ in range(n_batches):
        seq = torch.empty(batch, length, dtype=torch.long)
        seq[:, 0] = torch.randint(0, vocab, (batch,), generator=g)
        for t in range(1, length):
            seq[:, t] = torch.multinomial(trans[seq[:, t - 1]], 1, generator=g).squeeze(1)
        out.append(seq)
    return out


def markov_hf_batches() -> list[dict[str, torch.Tensor]]:
    """Hugging Face style dict batches: the model shifts the labels itself."""
    return [{"input_ids": s, "labels": s} for s in markov_ids()]


def classification_batches(vocab: int = 32, length: int = 16, batch: int = 16, n_batches: int = 8, seed: int = 1):
    """Sequence classification, no <s>: label 1 when the first token is in the lower half of the vocabulary
    (the classification head reads position 0)."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n_batches):
        ids = torch.randint(3, vocab, (batch, length), generator=g)
        labels = (ids[:, 0] < (vocab + 3) // 2).long()
        out.append({"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels})
    return out


def gpt2_lora(r: int = 8, alpha: int = 16):
    """Tiny GPT-2 (vocab 16, n_embd 64, 2 layers, 4 heads) wrapped by peft LoRA on c_attn/c_proj/c_fc; seed first."""
    from peft import LoraConfig, get_peft_model
    from transformers import GPT2Config, GPT2LMHeadModel

    base = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=VOCAB, n_positions=LEN, n_embd=64, n_layer=2, n_head=4,
            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
        )
    )  # fmt: skip
    cfg = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=["c_attn", "c_proj", "c_fc"],
        fan_in_fan_out=True, task_type="CAUSAL_LM",
    )  # fmt: skip
    return get_peft_model(base, cfg)


def roberta_cls_lora(r: int = 8, alpha: int = 16):
    """Tiny RoBERTa sequence classifier (vocab 32, hidden 64, 2 layers) with peft LoRA on query/value and the
    classification head trained in full (modules_to_save, as task_type SEQ_CLS does); seed torch first."""
    from peft import LoraConfig, get_peft_model
    from transformers import RobertaConfig, RobertaForSequenceClassification

    base = RobertaForSequenceClassification(
        RobertaConfig(
            vocab_size=32, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
            max_position_embeddings=40, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
            num_labels=2, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        )
    )  # fmt: skip
    cfg = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=["query", "value"], task_type="SEQ_CLS",
    )  # fmt: skip
    return get_peft_model(base, cfg)


def xt_lm(dim: int = 64, depth: int = 2, heads: int = 4, vocab: int = VOCAB, max_len: int = LEN):
    """x-transformers decoder-only LM (TransformerWrapper + Decoder, pre-norm, no dropout); seed torch first."""
    from x_transformers import Decoder, TransformerWrapper

    return TransformerWrapper(
        num_tokens=vocab, max_seq_len=max_len, attn_layers=Decoder(dim=dim, depth=depth, heads=heads, attn_dim_head=16)
    )


def next_token_batches(n_batches: int = N_BATCHES):
    """(input ids, next-token targets) pairs from the Markov chain: inputs seq[:, :-1], targets seq[:, 1:]."""
    return [(s[:, :-1], s[:, 1:]) for s in markov_ids(n_batches=n_batches, length=LEN + 1)]


def lm_loss(logits, target):
    """Token-level cross-entropy for (batch, length, vocab) logits."""
    import torch.nn.functional as F

    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


def llama_lm(hidden: int = 64, layers: int = 2):
    """Tiny Llama causal LM (vocab 16, hidden 64, 2 layers, 4 heads, 2 kv heads, untied head); seed torch first."""
    from transformers import LlamaConfig, LlamaForCausalLM

    return LlamaForCausalLM(
        LlamaConfig(
            vocab_size=VOCAB, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=LEN, bos_token_id=0,
            eos_token_id=0, pad_token_id=None, tie_word_embeddings=False,
        )
    )  # fmt: skip


def gpt2_lm():
    """Tiny GPT-2 causal LM, full fine-tune (vocab 16, n_embd 64, 2 layers, 4 heads, tied head); seed first."""
    from transformers import GPT2Config, GPT2LMHeadModel

    return GPT2LMHeadModel(
        GPT2Config(
            vocab_size=VOCAB, n_positions=LEN, n_embd=64, n_layer=2, n_head=4, resid_pdrop=0.0,
            embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0,
        )
    )  # fmt: skip


def t5_model():
    """Tiny T5 (vocab 16, d_model 64, d_ff 128, 2+2 layers, 4 heads of 16, no dropout); seed torch first."""
    from transformers import T5Config, T5ForConditionalGeneration

    return T5ForConditionalGeneration(
        T5Config(
            vocab_size=VOCAB, d_model=64, d_kv=16, d_ff=128, num_layers=2, num_decoder_layers=2, num_heads=4,
            dropout_rate=0.0, decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
        )
    )  # fmt: skip


def seq2seq_batches():
    """Continue the Markov chain: the encoder reads 16 tokens, the decoder predicts the next 16."""
    return [{"input_ids": s[:, :16].contiguous(), "labels": s[:, 16:].contiguous()} for s in markov_ids()]


def bert_mlm():
    """Tiny BERT masked LM (vocab 20 = 16 tokens + 4 specials, hidden 64, 2 layers, 4 heads); seed torch first."""
    from transformers import BertConfig, BertForMaskedLM

    return BertForMaskedLM(
        BertConfig(
            vocab_size=VOCAB + 4, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
            max_position_embeddings=LEN, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, pad_token_id=VOCAB,
        )
    )  # fmt: skip


def mlm_batches(mask_id: int = VOCAB + 1, rate: float = 0.15):
    """Markov sequences with a fixed 15% of positions replaced by [MASK]; labels -100 except there."""
    g = torch.Generator().manual_seed(2)
    out = []
    for s in markov_ids():
        mask = torch.rand(s.shape, generator=g) < rate
        ids = s.masked_fill(mask, mask_id)
        labels = s.masked_fill(~mask, -100)
        out.append({"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels})
    return out
