#!/usr/bin/env python3
"""The sweep benchmark's arithmetic in PyTorch, for the comparison docs/gpu-notes.md keeps:
bench/paper-sweep.toml's configurations (widths 2^7 … 2^13, 33 rates from 1e-5 to 1e-1 at 8
per decade, 4 seeds, Init[A] and Init[B], rank 4, α/r = 1) each trained 1000 full-batch
AdamW steps (β = 0.9, 0.99, ε = 1e-8) on N = 1000 rows, FP32 on one GPU.

The model is sim/model/lora_network.hpp's: Z_A = Z Aᵀ, H' = H₀ + s Z_A Bᵀ,
f = ReLU(H') w_out, L = mean (f − y)², with its hand-written backward (∂L/∂H' =
(2(f − y)/N ⊗ w_out) ⊙ 1[H' > 0], ∂L/∂B = s ∂L/∂H'ᵀ Z_A, ∂L/∂A = (s ∂L/∂H' B)ᵀ Z), all the
configurations of one width batched (one seed's frozen Z, H₀, w_out, y shared by its
configurations), one step compiled by torch.compile. The frozen data are random of the
right shapes: the time does not depend on their values. Every configuration runs all 1000
steps (gammalab stops one that diverges, so this does at least its arithmetic).

Prints one line per width and the total; run on the GPU machine, beside
`sweep_benchmark bench/paper-sweep.toml --device gpu`.

Usage: pytorch_sweep.py [--eager] [--steps 1000]
"""
import argparse
import math
import time

import torch


def configurations(width, seeds, rates, device):
    """The (seed, scheme, rate) of each configuration of a width, as tensors."""
    grid = [(s, scheme, r) for s in range(seeds) for scheme in (0, 1) for r in rates]
    seed = torch.tensor([g[0] for g in grid], device=device)
    scheme = torch.tensor([g[1] for g in grid], device=device)
    rate = torch.tensor([g[2] for g in grid], device=device, dtype=torch.float32)
    return seed, scheme, rate


def step(A, B, mA, vA, mB, vB, c1, c2, Z, H0, w, y, rate, s, beta1, beta2, eps):
    """One AdamW step of every configuration: A (C, r, n), B (C, n, r); Z, H0 (C, N, n)
    views of each configuration's seed; w (C, n); y (C, N); rate (C); c1, c2 Adam's bias
    corrections of this step, as tensors (a Python number would be compiled in, once per step)."""
    N = Z.shape[1]
    ZA = torch.bmm(Z, A.transpose(1, 2))                       # (C, N, r)
    H = H0 + s * torch.bmm(ZA, B.transpose(1, 2))              # (C, N, n)
    active = H > 0
    f = torch.einsum("cjn,cn->cj", torch.where(active, H, 0.0), w)
    dH = torch.where(active, (2 * (f - y) / N).unsqueeze(2) * w.unsqueeze(1), 0.0)
    gB = s * torch.bmm(dH.transpose(1, 2), ZA)                 # (C, n, r)
    dZA = s * torch.bmm(dH, B)                                 # (C, N, r)
    gA = torch.bmm(dZA.transpose(1, 2), Z)                     # (C, r, n)
    lr = rate.view(-1, 1, 1)
    for p, g, m, v in ((A, gA, mA, vA), (B, gB, mB, vB)):
        m.mul_(beta1).add_(g, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        p.sub_(lr * (m / c1) / ((v / c2).sqrt() + eps))
    return ((f - y) ** 2).mean(dim=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eager", action="store_true", help="no torch.compile")
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    device = "cuda"
    torch.backends.cuda.matmul.allow_tf32 = False  # FP32, as gammalab's reference
    rates = [10 ** (k / 8) for k in range(-40, -7)]   # 1e-5 … 1e-1, 33 rates
    seeds, rank, N, d = 4, 4, 1000, 5
    run = step if args.eager else torch.compile(step)
    total = 0.0
    flops = 0.0
    for width in [2 ** k for k in range(7, 14)]:
        generator = torch.Generator(device=device).manual_seed(width)
        Zs = torch.randn(seeds, N, width, device=device, generator=generator) / math.sqrt(d)
        H0s = torch.randn(seeds, N, width, device=device, generator=generator)
        ws = torch.randn(seeds, width, device=device, generator=generator) / math.sqrt(width)
        ys = torch.randn(seeds, N, device=device, generator=generator)
        seed, scheme, rate = configurations(width, seeds, rates, device)
        C = seed.numel()
        A = torch.randn(C, rank, width, device=device, generator=generator) / math.sqrt(width)
        B = torch.randn(C, width, rank, device=device, generator=generator) / math.sqrt(rank)
        A[scheme == 1] = 0   # Init[B]: A = 0
        B[scheme == 0] = 0   # Init[A]: B = 0
        moments = [torch.zeros_like(A), torch.zeros_like(A), torch.zeros_like(B), torch.zeros_like(B)]
        Z, H0, w, y = Zs[seed], H0s[seed], ws[seed], ys[seed]
        corrections = [(torch.tensor(1 - 0.9 ** t, device=device), torch.tensor(1 - 0.99 ** t, device=device))
                       for t in range(1, args.steps + 1)]
        run(A, B, *moments, *corrections[0], Z, H0, w, y, rate, 1.0, 0.9, 0.99, 1e-8)  # compile and warm up outside the clock (its update stays: only the time is compared)
        torch.cuda.synchronize()
        start = time.perf_counter()
        for t in range(1, args.steps + 1):
            loss = run(A, B, *moments, *corrections[t - 1], Z, H0, w, y, rate, 1.0, 0.9, 0.99, 1e-8)
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        total += seconds
        flops += args.steps * C * N * width * (10 * rank + 5)
        print(f"width {width}: {C} configurations, {seconds:.2f} s, final loss median {loss.median().item():.3g}", flush=True)
    print(f"pytorch ({'eager' if args.eager else 'torch.compile'}, FP32): {total:.1f} s for {flops:.3g} FLOP "
          f"({flops / total / 1e12:.1f} TFLOP/s), torch {torch.__version__}")


if __name__ == "__main__":
    main()
