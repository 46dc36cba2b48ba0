"""Benchmark: cached generation (`VAEWaveNet.generate`) against window re-evaluation (`sample_batch`).

Both run in the same process on the same model, conditioning and noise, so their ratio is measured on this machine
at the same time. Cases (issue 4, item 6):
- the seed's model (layer_size 4, receptive field 32) and layer_size 6 (receptive field 128), n = 600, T = 200,
  one batch of 600, float32 CPU; the two outputs are compared (they must agree to float32 rounding);
- time per step of `generate` against T (flat expected) and against n;
- peak memory (VmHWM of a fresh process, before and after) of `generate` at n = 600 for T = 200 and T = 6000, and the
  bytes held by its ring buffers.
Every timing is run with 1 thread and with torch's default number of threads (the machine may be shared: the
single-thread figures are the stable ones). The reference implementation took 1.4 s for the seed case here.

Run: `python benchmarks/generation.py` (about 2 minutes); results go to benchmarks/results/generation.json.
"""
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path
import torch
from fastai.torch_core import set_seed  # python, numpy and torch
from spivae.models import VAEWaveNet, WaveNetCache, generation_noise, seed_model_args

HERE = Path(__file__).parent
SEED_ARGS = seed_model_args(400)

def model(layer_size=4):
    "An untrained model of the seed's architecture with a damped output layer (bounded feedback)"
    set_seed(0)
    m = VAEWaveNet(**{**SEED_ARGS, 'layer_size': layer_size}).eval()
    with torch.no_grad():
        m.out_conv[-1].weight.mul_(0.1)
        m.out_conv[-1].bias.copy_(torch.tensor([0., 0., -3.]))
    return m

def best(f, repeat):
    "Smallest wall-clock time of `repeat` calls of `f`, and its last result"
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter(); r = f(); times.append(time.perf_counter() - t0)
    return min(times), r

def versus(m, n, T, repeat):
    "Seconds of sample_batch and generate on the same conditioning and noise, and their largest difference"
    with torch.no_grad(): c = m.vae.decode(torch.randn(n, 6), m.receptive_field + T)
    eps = generation_noise(n, T)
    t_ref, (ref, _) = best(lambda: m.sample_batch(n, n, T, c=c, eps=eps), 1)
    t_fast, fast = best(lambda: m.generate(c=c, T=T, eps=eps, progress=False), repeat)
    return dict(receptive_field=m.receptive_field, n=n, T=T, sample_batch_s=round(t_ref, 4), generate_s=round(t_fast, 4),
                speedup=round(t_ref / t_fast, 1), max_abs_diff=float((ref - fast).abs().max()),
                generate_us_per_step=round(t_fast / T * 1e6, 1))

def per_step(m, n, T, repeat=2):
    "Microseconds per generated step (all n trajectories in one batch)"
    z = torch.randn(n, 6)
    t, _ = best(lambda: m.generate(z=z, T=T, progress=False), repeat)
    return round(t / T * 1e6, 1)

def peak_rss(T, n=600):
    "Peak resident memory (MB, VmHWM of /proc) of a fresh process before and after generating n x T"
    code = (f"import torch, sys; sys.path.insert(0, {str(HERE)!r}); from generation import model, hwm; m = model(); "
            f"base = hwm(); m.generate(z=torch.randn({n}, 6), T={T}, progress=False); print(base, hwm())")
    base, peak = map(int, subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split())
    return dict(T=T, n=n, hwm_before_mb=round(base/1024, 1), hwm_after_mb=round(peak/1024, 1),
                increase_mb=round((peak - base)/1024, 1), output_mb=round(n*T*4/2**20, 1))

def hwm():
    "Peak resident set size of this process so far, in kB (Linux)"
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])

def run(threads, quick):
    torch.set_num_threads(threads)
    m4, m6 = model(4), model(6)
    res = dict(threads=threads,
               seed_layer_size_4=versus(m4, 600, 200, 3),
               layer_size_6=versus(m6, 600, 200, 2 if quick else 3))
    res['us_per_step_vs_T'] = {T: per_step(m4, 600, T, 1 if T > 1000 else 2) for T in ([200, 1000] if quick else [50, 200, 1000, 6000])}
    res['us_per_step_vs_n'] = {n: per_step(m4, n, 200) for n in ([1, 600] if quick else [1, 10, 100, 600, 2000, 6000])}
    return res

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--quick', action='store_true', help='fewer lengths and sizes')
    p.add_argument('--memory-only', action='store_true', help='only redo the peak memory part of an existing results file')
    args = p.parse_args()
    out = HERE/'results'; out.mkdir(exist_ok=True)
    if args.memory_only:
        res = json.loads((out/'generation.json').read_text())
        res['peak_memory'] = [peak_rss(T) for T in (200, 6000)]
        (out/'generation.json').write_text(json.dumps(res, indent=1) + '\n')
        return print(json.dumps(res['peak_memory'], indent=1))
    default_threads = torch.get_num_threads()
    res = dict(machine=dict(cpu_count=default_threads, python=platform.python_version(), torch=torch.__version__,
                            load_average_at_start=[round(x, 2) for x in os.getloadavg()]),
               reference_implementation_seed_case_s=1.4)
    res['runs'] = [run(1, args.quick)] + ([run(default_threads, args.quick)] if default_threads > 1 else [])
    torch.set_num_threads(default_threads)
    res['cache_bytes_n600_float32'] = dict(layer_size_4=WaveNetCache(model(4), 600).nbytes, layer_size_6=WaveNetCache(model(6), 600).nbytes)
    res['peak_memory'] = [peak_rss(T) for T in (200, 6000)]
    res['machine']['load_average_at_end'] = [round(x, 2) for x in os.getloadavg()]
    (out/'generation.json').write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps(res, indent=1))

if __name__ == '__main__': main()
