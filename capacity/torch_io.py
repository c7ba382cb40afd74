"""Read trained models into :class:`~capacity.network.Network` (and write them back to torch).

:func:`load_model` accepts

* a :class:`~capacity.network.Network` (returned as is);
* an ``.npz`` file with ``W_in, b_in, W_out, b_out`` (optional deeper layers ``W_hidden_k, b_hidden_k``), as
  written by :meth:`Network.save`;
* a mapping of arrays with those names;
* a torch ``nn.Sequential`` of ``Linear`` layers with ``ReLU`` between them (nested ``Sequential`` s are
  flattened; ``Identity``/``Dropout`` are skipped; a final ``Sigmoid`` is allowed: it does not change the sign
  of the logit, which is what is read);
* a torch *state dict* (``model.state_dict()``): its ``*.weight`` (2-D) and ``*.bias`` tensors are the Linear
  layers, in order, with the activation given by ``activation``;
* a ``.pt``/``.pth`` file holding a state dict or a pickled ``nn.Sequential``, read with
  ``torch.load(weights_only=True)`` (only torch's own layer classes are allowed to unpickle).

Weights are copied to float64 exactly (float32, float16 and bfloat16 values are float64 values). Every bad
input raises :class:`~capacity.errors.ModelError` with a one-line message. torch is imported inside the
functions only.
"""

from __future__ import annotations

import re

from pathlib import Path

import numpy as np

from .errors import ModelError
from .network import ACTIVATIONS, Network

__all__ = ["load_model", "network_from_layers", "to_torch"]

_SKIP = ("Identity", "Dropout", "Flatten")


def network_from_layers(layers, activation: str = "relu", source: str = "model") -> Network:
    """A :class:`Network` from ``[(W, b), ...]`` (input layer first, readout last), with shape checks."""
    if activation not in ACTIVATIONS:
        raise ModelError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if len(layers) < 2:
        raise ModelError(f"{source} has {len(layers)} linear layer(s); a network needs at least two "
                         "(one hidden layer and a readout)")
    arrays = []
    for k, (W, b) in enumerate(layers):
        W = np.asarray(W)
        if W.ndim != 2:
            raise ModelError(f"{source}: layer {k} weight must be 2-D, got shape {W.shape}")
        if b is None:
            b = np.zeros(W.shape[0])
        b = np.asarray(b)
        if b.ndim != 1 or b.shape[0] != W.shape[0]:
            raise ModelError(f"{source}: layer {k} bias has shape {b.shape} for a weight of shape {W.shape}")
        if k and W.shape[1] != arrays[-1][0].shape[0]:
            raise ModelError(f"{source}: layer {k} expects {W.shape[1]} inputs but layer {k - 1} has "
                             f"{arrays[-1][0].shape[0]} outputs")
        for name, a in (("weight", W), ("bias", b)):
            if a.dtype.kind not in "biuf":
                raise ModelError(f"{source}: layer {k} {name} is not numeric (dtype {a.dtype})")
            if a.dtype.kind == "f" and not np.isfinite(a).all():
                raise ModelError(f"{source}: layer {k} {name} contains NaN or infinite values")
        arrays.append((W.astype(np.float64) if W.dtype.kind == "f" else W.astype(np.int64),
                       b.astype(np.float64) if b.dtype.kind == "f" else b.astype(np.int64)))
    (W_in, b_in), *mid, (W_out, b_out) = arrays
    return Network(W_in, b_in, W_out, b_out, activation, tuple(w for w, _ in mid), tuple(b for _, b in mid))


def _tensor(t, name):
    try:
        return t.detach().cpu().to(dtype=_torch().float64).numpy() if t.is_floating_point() else \
            t.detach().cpu().numpy()
    except Exception as exc:  # noqa: BLE001  # pragma: no cover - exotic tensors
        raise ModelError(f"cannot read tensor {name}: {exc}") from None


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is installed in the dev environment
        raise ModelError("reading torch models needs torch: pip install 'capacity[train]'") from None
    return torch


def _from_sequential(model, activation: str) -> Network:
    torch = _torch()
    nn = torch.nn
    mods = []

    def flatten(mod):
        for child in mod.children():
            if isinstance(child, nn.Sequential):
                flatten(child)
            else:
                mods.append(child)

    flatten(model)
    layers, expect_act = [], False
    for k, mod in enumerate(mods):
        name = type(mod).__name__
        if isinstance(mod, nn.Linear):
            if expect_act:
                raise ModelError(f"Sequential: two Linear layers without an activation between them (module {k})")
            W = _tensor(mod.weight, f"module {k} weight")
            b = None if mod.bias is None else _tensor(mod.bias, f"module {k} bias")
            layers.append((W, b))
            expect_act = True
        elif isinstance(mod, nn.ReLU):
            if activation != "relu":
                raise ModelError(f"Sequential has ReLU (module {k}) but activation {activation!r} was asked for")
            if not expect_act:
                raise ModelError(f"Sequential: ReLU at module {k} does not follow a Linear layer")
            expect_act = False
        elif name in _SKIP:
            continue
        elif isinstance(mod, nn.Sigmoid) and k == len(mods) - 1:
            continue  # the readout's sign is read at logit 0, which the sigmoid maps to 1/2
        else:
            raise ModelError(f"Sequential: unsupported layer {name} at module {k}; "
                             "expected Linear layers with ReLU between them")
    if layers and not expect_act:
        raise ModelError("Sequential ends with an activation; the last layer must be the Linear readout")
    return network_from_layers(layers, activation, "Sequential")


def _from_state_dict(sd, activation: str, source: str) -> Network:
    keys = list(sd.keys())
    if {"W_in", "b_in", "W_out", "b_out"} <= set(keys):
        return _from_arrays(sd, activation, source)
    layers = []
    for key in keys:
        if not isinstance(key, str):
            raise ModelError(f"{source}: keys must be strings, got {key!r}")
        if key.endswith(".weight"):
            prefix = key[: -len(".weight")]
            W = _as_np(sd[key], key)
            if W.ndim != 2:
                raise ModelError(f"{source}: {key} has shape {tuple(W.shape)}; only Linear layers (2-D weights) "
                                 "are supported")
            bkey = prefix + ".bias"
            b = _as_np(sd[bkey], bkey) if bkey in sd else None
            layers.append((W, b))
        elif key.endswith(".bias"):
            if key[: -len(".bias")] + ".weight" not in sd:
                raise ModelError(f"{source}: {key} has no matching weight")
        else:
            raise ModelError(f"{source}: unexpected entry {key!r} (expected Linear '*.weight' and '*.bias' tensors)")
    if not layers:
        raise ModelError(f"{source} holds no Linear layer weights")
    return network_from_layers(layers, activation, source)


def _as_np(v, name):
    if hasattr(v, "detach"):
        return _tensor(v, name)
    try:
        return np.asarray(v)
    except Exception as exc:  # noqa: BLE001  # pragma: no cover
        raise ModelError(f"cannot read {name} as an array: {exc}") from None


def _from_arrays(d, activation, source) -> Network:
    missing = [k for k in ("W_in", "b_in", "W_out", "b_out") if k not in d]
    if missing:
        raise ModelError(f"{source} is missing array(s) {', '.join(missing)}")
    mids, k = [], 0
    while f"W_hidden_{k}" in d:
        bk = f"b_hidden_{k}"
        if bk not in d:
            raise ModelError(f"{source} has W_hidden_{k} but no {bk}")
        mids.append((_as_np(d[f"W_hidden_{k}"], f"W_hidden_{k}"), _as_np(d[bk], bk)))
        k += 1
    layers = [(_as_np(d["W_in"], "W_in"), _as_np(d["b_in"], "b_in")), *mids,
              (_as_np(d["W_out"], "W_out"), _as_np(d["b_out"], "b_out"))]
    return network_from_layers(layers, activation, source)


def load_model(obj_or_path, activation: str | None = None) -> Network:
    """A :class:`Network` from a path (``.npz``; ``.pt``/``.pth`` holding a state dict or a pickled ``nn.Sequential``
    of torch layers, read with ``weights_only=True``), a torch ``nn.Sequential``, a state dict, a
    mapping of ``W_in, b_in, W_out, b_out`` arrays, or a Network. ``activation`` (``relu`` by default) applies
    where the source does not say (state dicts; an ``.npz`` without an ``activation`` entry)."""
    if activation is not None and activation not in ACTIVATIONS:
        raise ModelError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    act = activation or "relu"
    if isinstance(obj_or_path, Network):
        if activation is not None and obj_or_path.activation != activation:
            raise ModelError(f"network has activation {obj_or_path.activation}, not {activation}")
        return obj_or_path
    if isinstance(obj_or_path, (str, Path)):
        path = Path(obj_or_path)
        if not path.exists():
            raise ModelError(f"model file {path} does not exist")
        if path.is_dir():
            raise ModelError(f"model path {path} is a directory")
        suffix = path.suffix.lower()
        if suffix == ".npz":
            try:
                with np.load(path, allow_pickle=False) as z:
                    data = {k: z[k] for k in z.files}
            except Exception as exc:  # noqa: BLE001 - any failure to read the file is the user's bad input
                raise ModelError(f"cannot read {path} as .npz: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
            file_act = str(data.pop("activation")) if "activation" in data else None
            if activation is not None and file_act is not None and file_act != activation:
                raise ModelError(f"{path} says activation {file_act}, not {activation}")
            return _from_arrays(data, activation or file_act or "relu", str(path))
        if suffix in (".pt", ".pth", ".bin"):
            torch = _torch()
            # a pickled nn.Sequential loads too: torch's own layer classes are allowed, nothing else is
            layers = [c for c in vars(torch.nn).values() if isinstance(c, type) and issubclass(c, torch.nn.Module)]
            try:
                with torch.serialization.safe_globals(layers):
                    obj = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as exc:  # noqa: BLE001 - torch.load raises many types on a bad file
                msg = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
                msg = msg.splitlines()[0] if msg else type(exc).__name__
                raise ModelError(f"cannot read {path} with torch.load(weights_only=True) (save a state_dict or an "
                                 f"nn.Sequential of torch layers): {msg[:200]}") from None
            if isinstance(obj, torch.nn.Sequential):
                return _from_sequential(obj, act)
            if not isinstance(obj, dict):
                raise ModelError(f"{path} holds a {type(obj).__name__}, not a state dict or an nn.Sequential")
            return _from_state_dict(obj, act, str(path))
        raise ModelError(f"unknown model file type {path.suffix!r} (use .npz, .pt or .pth)")
    if isinstance(obj_or_path, dict) or (hasattr(obj_or_path, "keys") and hasattr(obj_or_path, "__getitem__")):
        return _from_state_dict(obj_or_path, act, "state dict")
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    if torch is not None and isinstance(obj_or_path, torch.nn.Module):
        if isinstance(obj_or_path, torch.nn.Sequential):
            return _from_sequential(obj_or_path, act)
        raise ModelError(f"only nn.Sequential models are read directly, got {type(obj_or_path).__name__}; "
                         "pass its state_dict() if its layers are Linear with ReLU between them")
    raise ModelError(f"cannot read a model from {type(obj_or_path).__name__}")


def to_torch(network: Network, dtype=None):
    """An ``nn.Sequential(Linear, ReLU, ..., Linear)`` with the network's weights (relu networks only)."""
    torch = _torch()
    if network.activation != "relu":
        raise ModelError("to_torch writes relu networks only (torch has no step layer)")
    dtype = torch.float64 if dtype is None else dtype
    mods = []
    for k, (W, b) in enumerate(network.layers):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(np.array(W, dtype=np.float64)))
            lin.bias.copy_(torch.tensor(np.array(b, dtype=np.float64)))
        mods.append(lin)
        if k < len(network.layers) - 1:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)
