"""Experiment: the seed model's WaveNet in a flat (channels, batch·time) layout with plain GEMMs (issue 6, item 1).

The profile (`throughput_profile.md`) puts about 88 % of a training step in oneDNN convolutions of 6-32 channels over
about 400 steps, which run far below the CPU's arithmetic peak. This checks whether a different layout removes that
overhead: the WaveNet part of `VAEWaveNet` (the VAE is left as it is) rewritten on activations of shape
(channels, B·T), the B trajectories laid end to end. A causal convolution of kernel K and dilation d is then K matrix
products with column-shifted views of the same buffer (no copies, no im2col, no reorders), with a hand-written
backward of the same kind; the positions whose window runs into the next trajectory are computed and dropped at the
end. The 1×1 convolutions are single matrix products.

Checked first, in float64 on 8 trajectories: the flat version gives the module's output and the module's gradients
(weights and the conditioning c). Then timed, forward + backward of the WaveNet alone (B = 256, T = 399, the seed's
model, 2 threads, freed memory kept as `spivae_learner` does), the two versions alternating for `--rounds` rounds,
each round the median of 6 calls: on the whole batch and on four chunks of 64 with the gradients accumulated (the
same optimiser step, smaller working set).

Run: `python benchmarks/throughput_layouts.py` (about a minute); results in benchmarks/results/throughput_layouts.json
and .md.
"""
import argparse, json, os, statistics, time
from pathlib import Path
import torch
from fastai.torch_core import set_seed  # python, numpy and torch
import torch.nn.functional as F
from spivae.models import VAEWaveNet, seed_model_args
from spivae.train import keep_freed_memory

HERE = Path(__file__).parent
MODEL_ARGS = seed_model_args(400)

class FlatConv(torch.autograd.Function):
    "Convolution on a flat (C_in, N) buffer: y[:, j] = b + Σ_k W[:, :, k] @ h[:, j + k·d] for j < n"
    @staticmethod
    def forward(ctx, h, W, b, d, n):
        Wk = W.permute(2, 0, 1)
        y = torch.addmm(b[:, None], Wk[0], h[:, :n])
        for k in range(1, len(Wk)): y.addmm_(Wk[k], h[:, k*d:k*d + n])
        ctx.save_for_backward(h, W)
        ctx.d, ctx.n = d, n
        return y

    @staticmethod
    def backward(ctx, gy):
        h, W = ctx.saved_tensors
        d, n, Wk = ctx.d, ctx.n, W.permute(2, 0, 1)
        gh = torch.zeros_like(h)
        for k in range(len(Wk)): gh[:, k*d:k*d + n].addmm_(Wk[k].t(), gy)
        gW = torch.stack([gy @ h[:, k*d:k*d + n].t() for k in range(len(Wk))], -1)
        return gh, gW, gy.sum(1), None, None

def pointwise(conv, h):
    "A 1×1 convolution on a flat buffer"
    W = conv.weight[..., 0]
    return W @ h if conv.bias is None else torch.addmm(conv.bias[:, None], W, h)

def flat_wavenet(m:VAEWaveNet, x, c):
    "`m.wavenet(x, c)` (plain residual sums, no g, no padding) computed on the flat layout"
    B, _, L = x.shape
    h = m.init_conv.weight[:, :, 0]*x.transpose(0, 1).reshape(1, B*L) + m.init_conv.bias[:, None]
    cf = c.transpose(0, 1).reshape(c.shape[1], B*L)
    shift = m.causal.reach  # steps lost at the start of every trajectory so far; the buffer shrinks by as many columns
    n = B*L - shift
    h = FlatConv.apply(h, m.causal.conv.weight, m.causal.conv.bias, 1, n)  # mask A: the output at t sees up to t-1
    skips = []
    for blk in m.res_stack:
        conv = blk.dilated.conv
        d, r = conv.dilation[0], blk.dilated.reach
        shift, n_out = shift + r, n - r
        y = FlatConv.apply(h, conv.weight, conv.bias, d, n_out) + blk.conv_c.weight[..., 0] @ cf[:, shift:shift + n_out]
        gate = F.glu(y, dim=0)
        skips.append((shift, pointwise(blk.conv_skip, gate)))
        h, n = pointwise(blk.conv_res, gate) + h[:, r:r + n_out], n_out
    s = sum(sk[:, shift - at:shift - at + n] for at, sk in skips)
    out = pointwise(m.out_conv[3], F.relu(pointwise(m.out_conv[1], F.relu(s))))
    return F.pad(out, (0, shift)).view(len(out), B, L)[..., :L - shift].transpose(0, 1)

def check(model_args):
    "Largest differences between the module and the flat version (output, gradients), float64"
    set_seed(0)
    m = VAEWaveNet(**model_args).double()
    x = torch.randn(8, 1, model_args['o_dim'], dtype=torch.float64)
    c = torch.randn(8, m.c_channels, model_args['o_dim'], dtype=torch.float64, requires_grad=True)
    a, b = m.wavenet(x, c), flat_wavenet(m, x, c)
    params = [p for n, p in m.named_parameters() if not n.startswith('vae.')]
    ga = torch.autograd.grad(a.square().sum(), [c, *params], allow_unused=True)  # the last residual output is unused
    gb = torch.autograd.grad(b.square().sum(), [c, *params], allow_unused=True)
    assert [u is None for u in ga] == [v is None for v in gb], "the two versions use different parameters"
    return dict(output_shape=list(a.shape), max_abs_output=(a - b).abs().max().item(), max_abs_output_value=a.abs().max().item(),
                max_abs_grad=max((u - v).abs().max().item() for u, v in zip(ga, gb) if u is not None))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rounds', type=int, default=5)
    args = p.parse_args()
    keep_freed_memory()
    torch.set_num_threads(2)
    res = dict(load_average_at_start=[round(v, 2) for v in os.getloadavg()], check=check(MODEL_ARGS))
    print(res['check'], flush=True)
    set_seed(0)
    m = VAEWaveNet(**MODEL_ARGS)
    x = torch.randn(256, 1, 399)*0.01
    c0 = torch.rand(256, m.c_channels, 399)
    versions = dict(conv=lambda x, c: m.wavenet(x, c), flat=lambda x, c: flat_wavenet(m, x, c))
    def run(f, chunk):
        c = c0.clone().requires_grad_()
        for i in range(0, len(x), chunk): f(x[i:i + chunk], c[i:i + chunk]).sum().backward()
        m.zero_grad()
    times = {f'{v}_{chunk}': [] for chunk in (256, 64) for v in versions}
    for _ in range(args.rounds):
        for chunk in (256, 64):
            for v, f in versions.items():
                run(f, chunk)
                ts = []
                for _ in range(6):
                    t0 = time.perf_counter(); run(f, chunk); ts.append(time.perf_counter() - t0)
                times[f'{v}_{chunk}'].append(round(1e3*statistics.median(ts), 1))
    res['ms_per_batch_of_256'] = times
    res['median_ms'] = {k: statistics.median(v) for k, v in times.items()}
    res['flat_over_conv'] = {chunk: round(res['median_ms'][f'conv_{chunk}']/res['median_ms'][f'flat_{chunk}'], 3) for chunk in (256, 64)}
    res['load_average_at_end'] = [round(v, 2) for v in os.getloadavg()]
    out = HERE/'results'
    (out/'throughput_layouts.json').write_text(json.dumps(res, indent=1) + '\n')
    ck, med = res['check'], res['median_ms']
    md = ['# The WaveNet on a flat layout (`benchmarks/throughput_layouts.py`; raw figures in `throughput_layouts.json`)', '',
          f"Same results: largest difference from the module {ck['max_abs_output']:.1e} in the output (values up to "
          f"{ck['max_abs_output_value']:.1f}) and {ck['max_abs_grad']:.1e} in the gradients (float64, 8 trajectories).", '',
          'Forward + backward of the WaveNet part of the seed model for a batch of 256 trajectories of 399 steps, 2 threads, '
          f'ms (median of {args.rounds} rounds, each the median of 6 calls; per round: '
          + '; '.join(f"{k} {v}" for k, v in times.items()) + ').', '',
          '| batch processed as | oneDNN convolutions (the module) | flat GEMMs | module time / flat time |', '|---|---|---|---|']
    for chunk in (256, 64):
        md.append(f"| {'one batch of 256' if chunk == 256 else 'four chunks of 64, gradients accumulated'} | {med[f'conv_{chunk}']} | "
                  f"{med[f'flat_{chunk}']} | {res['flat_over_conv'][chunk]} |")
    md += ['', f"Load average at the start {res['load_average_at_start']}, at the end {res['load_average_at_end']}."]
    (out/'throughput_layouts.md').write_text('\n'.join(md) + '\n')
    print('\n'.join(md))

if __name__ == '__main__': main()
