"""The synthetic tone-classification audio and tiny wav2vec 2.0 classifier shared by p04 and p05.

Not a model script (no EXPECTED): those scripts build `model` and `data` from it at import time.
"""

import torch
from transformers import Wav2Vec2Config, Wav2Vec2ForSequenceClassification

SAMPLES, BATCH, N_BATCHES, CLASSES = 1600, 8, 4, 4  # 0.1 s at 16 kHz


def tone_batches(int16_pcm: bool) -> list[dict[str, torch.Tensor]]:
    """Four classes of tone (200/400/600/800 Hz, random phase) plus noise; peak amplitude about 1.

    int16_pcm=True gives the samples as a WAV reader hands them over without normalising (x 32767, rounded,
    clipped to the int16 range, as float32); False gives the usual [-1, 1]-scale floats."""
    g = torch.Generator().manual_seed(0)
    t = torch.arange(SAMPLES) / 16000
    out = []
    for _ in range(N_BATCHES):
        y = torch.randint(0, CLASSES, (BATCH,), generator=g)
        phase = 6.28 * torch.rand(BATCH, 1, generator=g)
        x = torch.sin(2 * torch.pi * 200 * (1 + y).float()[:, None] * t + phase)
        x = x + 0.3 * torch.randn(BATCH, SAMPLES, generator=g)
        if int16_pcm:
            x = (x * 32767).round().clamp(-32768, 32767)
        out.append({"input_values": x, "labels": y})
    return out


def wav2vec2() -> Wav2Vec2ForSequenceClassification:
    """Tiny wav2vec 2.0 (3-layer conv feature encoder with GroupNorm, hidden 32, 2 layers, no dropout/masking)."""
    return Wav2Vec2ForSequenceClassification(
        Wav2Vec2Config(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, conv_dim=(32, 32, 32),
            conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
            num_labels=CLASSES, classifier_proj_size=32, hidden_dropout=0.0, attention_dropout=0.0,
            activation_dropout=0.0, feat_proj_dropout=0.0, final_dropout=0.0, layerdrop=0.0, mask_time_prob=0.0,
            apply_spec_augment=False,
        )
    )  # fmt: skip
