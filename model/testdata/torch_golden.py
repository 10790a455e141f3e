"""Golden values for model/torch_test.go from PyTorch, on fixed weights.

Regenerate (needs Debian's python3-torch; run from the repository root):

    /usr/bin/python3 model/testdata/torch_golden.py ../shared/tools/torch-reference.py > model/testdata/torch_golden.json

It builds torch-reference.py's own CNN class (the file is executed without
its final main() call), for the `cnn` and `cnn-lstm` (--lstm) variants with
122 inputs and 5 classes, fills every parameter from a formula that the Go
test evaluates identically, and records for a fixed 6-row input:
  * the logits in float32 and float64, in eval mode;
  * the gradients (float64, eval mode, so no dropout) of the class-weighted
    CrossEntropyLoss, summarised per tensor (sum, sum of squares, 8 entries);
  * the parameters after 3 steps of Adam (L2 weight decay on weights only),
    AdamW and SGD with Nesterov momentum and clip_grad_norm_, summarised.
Parameter i (in named_parameters order, which is cnids' Params order) element
j is ((j*7919 + i*104729 + 13) mod 2003 / 2003 - 0.5) * 2 * scale_i, computed
in float64; scale_i is in the output.
"""
import json, sys
import torch, torch.nn as nn

src = open(sys.argv[1] if len(sys.argv) > 1 else '../shared/tools/torch-reference.py').read()
src = src[:src.rindex('main()')]  # everything but the call
ns = {'__name__': 'torch_reference'}
exec(compile(src, 'torch-reference.py', 'exec'), ns)
CNN = ns['CNN']

D, K, B = 122, 5, 6
WEIGHTS = [1.0, 2.0, 0.5, 3.0, 1.5]
LABELS = [0, 1, 2, 3, 4, 1]

def formula(i, n, scale):
    return [(((j * 7919 + i * 104729 + 13) % 2003) / 2003 - 0.5) * 2 * scale for j in range(n)]

def inputs():
    x = []
    for n in range(B):
        for j in range(D):
            if (n * 31 + j * 17) % 5 < 2:
                x.append(((n * 131 + j * 71) % 97) / 97)
            else:
                x.append(0.0)
    return x

def build(lstm):
    torch.manual_seed(0)
    m = CNN(D, k=K, lstm=lstm).double()
    meta = []
    named = list(m.named_parameters())
    for i, (name, p) in enumerate(named):
        if p.dim() >= 2:
            fan_in = p[0].numel()
        else:  # bias: the fan-in of the tensor before it
            prev = named[i - 1][1]
            fan_in = prev[0].numel() if prev.dim() >= 2 else named[i - 2][1][0].numel()
        scale = 1.0 / fan_in ** 0.5
        with torch.no_grad():
            p.copy_(torch.tensor(formula(i, p.numel(), scale), dtype=torch.float64).reshape(p.shape))
        meta.append({'name': name, 'shape': list(p.shape), 'scale': scale})
    return m, meta

def summary(t):
    f = t.detach().reshape(-1).double()
    idx = [(k * 7919) % f.numel() for k in range(8)]
    return {'sum': f.sum().item(), 'sumsq': (f * f).sum().item(), 'idx': idx, 'vals': [f[k].item() for k in idx]}

def run(lstm):
    m, meta = build(lstm)
    x = torch.tensor(inputs(), dtype=torch.float64).reshape(B, D)
    y = torch.tensor(LABELS)
    lossf = nn.CrossEntropyLoss(weight=torch.tensor(WEIGHTS, dtype=torch.float64))
    m.eval()
    out = {'params': meta, 'input': inputs(), 'labels': LABELS, 'class_weights': WEIGHTS}
    with torch.no_grad():
        out['logits_f64'] = m(x).reshape(-1).tolist()
        m32 = CNN(D, k=K, lstm=lstm)
        m32.load_state_dict({k: v.float() for k, v in m.state_dict().items()})
        m32.eval()
        out['logits_f32'] = m32(x.float()).reshape(-1).double().tolist()
    m.zero_grad()
    loss = lossf(m(x), y)
    loss.backward()
    out['loss'] = loss.item()
    out['grads'] = [summary(p.grad) for p in m.parameters()]
    state = {k: v.clone() for k, v in m.state_dict().items()}
    decay = [p for n, p in m.named_parameters() if p.dim() >= 2]
    nodecay = [p for n, p in m.named_parameters() if p.dim() < 2]
    groups = lambda wd: [{'params': decay, 'weight_decay': wd}, {'params': nodecay, 'weight_decay': 0.0}]
    opts = {
        'adam': lambda: torch.optim.Adam(groups(0.01), lr=1e-3),
        'adamw': lambda: torch.optim.AdamW(groups(0.05), lr=2e-3),
        'sgd_nesterov_clip': lambda: torch.optim.SGD(groups(0.001), lr=0.05, momentum=0.9, nesterov=True),
    }
    out['steps'] = {}
    for name, mk in opts.items():
        m.load_state_dict(state)
        opt = mk()
        losses = []
        for step in range(3):
            opt.zero_grad()
            loss = lossf(m(x), y)
            loss.backward()
            losses.append(loss.item())
            if name.endswith('clip'):
                losses.append(torch.nn.utils.clip_grad_norm_(m.parameters(), 0.5).item())
            opt.step()
        out['steps'][name] = {'losses': losses, 'params': [summary(p) for p in m.parameters()]}
    return out

print(json.dumps({'torch_version': torch.__version__, 'cnn': run(False), 'cnn-lstm': run(True)}, indent=1))
