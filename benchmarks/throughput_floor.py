"""How far a training step of the seed model is from what this machine's memory and arithmetic allow (issue 6, item 1).

One process, 2 threads, the seed model on a batch of 256 trajectories of 399 displacements (random data: only the
shapes matter), freed memory kept (`keep_freed_memory`). Measured in the same run:

- every operator of one training step (forward + backward), through a `TorchDispatchMode`: the bytes of its tensor
  inputs and outputs (an upper bound on its memory traffic: views are counted as if they moved their bytes); and the
  floating-point operations of the step (`FlopCounterMode`, on the plain path: its module hooks make `'auto'` take
  it, and the channels-last path computes the same products);
- the machine: the bandwidth of `torch.add` on operands as large as the model's activations (13 MB, the size of a
  32-channel layer output), and the rate of a 2048 × 2048 matrix product;
- the step itself, with the plain `(B, C, T)` layout and with the channels-last one (`VAEWaveNet.layout`).

Two floors follow: all bytes at that bandwidth, all operations at that matrix-product rate. A step slower than both
by a wide margin is limited by how its kernels run, not by the machine.

Run: `python benchmarks/throughput_floor.py` (under a minute); results go to benchmarks/results/throughput_floor.json.
"""
import json, os, statistics, time
from collections import defaultdict
from pathlib import Path
import torch
from fastai.torch_core import set_seed  # python, numpy and torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode
from spivae.models import VAEWaveNet
from spivae.train import keep_freed_memory
from throughput_profile import MODEL_ARGS  # the seed model, as profiled there

HERE = Path(__file__).parent

class TensorBytes(TorchDispatchMode):
    "Bytes of the distinct tensors each operator reads and writes, summed by operator name"
    def __init__(self): super().__init__(); self.by_op = defaultdict(int)
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        seen, n = set(), 0
        for t in tree_flatten((args, kwargs or {}, out))[0]:
            if isinstance(t, torch.Tensor) and id(t) not in seen: seen.add(id(t)); n += t.numel()*t.element_size()
        self.by_op[func.overloadpacket.__name__] += n
        return out

def median_ms(f, n=15, warmup=3):
    for _ in range(warmup): f()
    times = []
    for _ in range(n):
        t0 = time.perf_counter(); f(); times.append(1e3*(time.perf_counter() - t0))
    return round(statistics.median(times), 1)

def main():
    keep_freed_memory(); torch.set_num_threads(2); set_seed(0)
    model = VAEWaveNet(**MODEL_ARGS)
    x = torch.randn(256, 1, 399) * 0.01
    def step():
        y, mu, logvar, c = model(x)
        (y.square().mean() + mu.square().mean()).backward()
        model.zero_grad()
    out = dict(load_average_at_start=[round(v, 2) for v in os.getloadavg()])
    model.layout = 'plain'  # FlopCounterMode tracks modules through global hooks, under which only the plain path runs
    with FlopCounterMode(display=False) as fc: step()
    gflop = round(fc.get_total_flops()/1e9, 2)  # the channels-last path computes the same products
    for layout in ('plain', 'channels_last'):
        model.layout = layout
        step()
        rec = TensorBytes()
        with rec: step()
        out[layout] = dict(gflop=gflop, gbytes_touched=round(sum(rec.by_op.values())/1e9, 2),
                           top_ops_mbytes={k: round(v/1e6) for k, v in sorted(rec.by_op.items(), key=lambda kv: -kv[1])[:8]})
    a, b = torch.randn(3_300_000), torch.randn(3_300_000); c = torch.empty_like(a)   # 13 MB operands
    ms = median_ms(lambda: torch.add(a, b, out=c), n=100)
    out['bandwidth_gb_s'] = round(3*a.numel()*4/(ms/1e3)/1e9, 1)
    A, B = torch.randn(2048, 2048), torch.randn(2048, 2048)
    ms = median_ms(lambda: A @ B, n=10)
    out['matmul_gflop_s'] = round(2*2048**3/(ms/1e3)/1e9, 1)
    for layout in ('plain', 'channels_last'):
        model.layout = layout
        r = out[layout]
        r['step_ms'] = median_ms(step)
        r['memory_floor_ms'] = round(r['gbytes_touched']/out['bandwidth_gb_s']*1e3, 1)
        r['compute_floor_ms'] = round(r['gflop']/out['matmul_gflop_s']*1e3, 1)
        r['achieved_gflop_s'] = round(r['gflop']/(r['step_ms']/1e3), 1)
    out['load_average_at_end'] = [round(v, 2) for v in os.getloadavg()]
    (HERE/'results').mkdir(exist_ok=True)
    (HERE/'results'/'throughput_floor.json').write_text(json.dumps(out, indent=1) + '\n')
    print(json.dumps(out, indent=1))

if __name__ == '__main__': main()
