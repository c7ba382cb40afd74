"""The Markdown report of an :class:`~capacity.interpret.analysis.Interpretation`."""

from __future__ import annotations

import math


def _set(S) -> str:
    S = list(S)
    return "{" + ",".join(f"x{i}" for i in S) + "}" if S else "{}"


def _units(us) -> str:
    return "{" + ", ".join(str(h) for h in us) + "}" if us else "{}"


def _iv(lo, hi) -> str:
    return f"[{lo:.6g}, {'inf' if hi is None or math.isinf(hi) else f'{hi:.6g}'})"


def markdown(it) -> str:
    net = it.network
    L = []
    add = L.append
    add("# Interpretation report")
    add("")
    add(f"Model: {net.d_in} inputs, hidden widths {list(net.widths)}, {net.n_features} outputs, "
        f"activation {net.activation}, parameter size P = {net.parameter_size}"
        f"{' (integer weights)' if net.is_integer else ''}.")
    dom = "the full cube" if it.sparsity is None else f"inputs with at most {it.sparsity} ones"
    add(f"Domain: {it.m} Boolean inputs, {dom}: N = {it.domain_size} points"
        f"{'' if it.enumerable else ' (too many to enumerate: SAT proofs)'}.")
    add("")
    add("## Summary")
    add("")
    for o in it.outputs:
        f = o["formula"]
        add(f"- **{o['name']}** = `{f.text() if f is not None else '(none)'}`: {o['claim']}.")
    add("")
    add("## Code")
    add("")
    c = it.code
    add(f"tau = {c['tau']:.6g} (absolute; cat_tau(w) = +1 if w > tau, -1 if w < -tau, else 0). "
        f"nnz(S_in) = {c['nnz_in']}, nnz(S_out) = {c['nnz_out']}.")
    add(f"The code is the same for every tau in {_iv(*c['stable_code_interval'])}; "
        f"the channels are the same for every tau in {_iv(*c['stable_channel_interval'])}.")
    add("")
    add("| input | positive code (units) | negative code (units) |")
    add("|---|---|---|")
    for name in c["positive_codes"]:
        add(f"| {name} | {_units(c['positive_codes'][name])} | {_units(c['negative_codes'][name])} |")
    add("")
    add("## Hidden units: minimal activating sets")
    add("")
    add("Exact, on the domain: the minimal input sets whose point activates the unit (relu: z > 0; step: z >= 0).")
    add("")
    add("| layer | unit | minimal activating sets | formula over the inputs |")
    add("|---|---|---|---|")
    for u in it.units:
        sets = u.get("minimal_activating_sets")
        shown = "(budget exceeded)" if sets is None else (", ".join(_set(A) for A in sets[:12]) or "none (never active)")
        if sets is not None and len(sets) > 12:
            shown += f", ... ({len(sets)} sets)"
        add(f"| {u['layer']} | {u['unit']} | {shown} | `{u.get('formula') or ''}` |")
    add("")
    add("## Outputs")
    for o in it.outputs:
        add("")
        add(f"### {o['name']}")
        add("")
        f = o["formula"]
        if f is None:
            add(f"No formula: {o['derivation']}")
            continue
        add(f"Formula: `{f.text()}`")
        d = f.dnf()
        if d is not None and d.text() != f.text():
            add(f"As a DNF of literals: `{d.text()}`")
        add("")
        add(f"Proof: {o['claim']}.")
        for p in o["proofs"]:
            cert = p.get("certificate") or {}
            extra = ""
            if p["method"] == "sat":
                extra = (f", {p.get('sat_calls', '?')} SAT call(s), largest {p.get('clauses', '?')} clauses, DRUP "
                         f"proof(s) {'checked' if cert.get('checked') else 'not checked'}")
            add(f"- {p['method']}: {p['status']} in {p['seconds']:.3g} s{extra}"
                + (f"; counterexample {_set(p['counterexamples'][0])}" if p.get("counterexamples") else ""))
        add("")
        add(f"Derivation: {o['derivation']}")
        add("")
        r = o["roles"]
        add(f"Input roles: excitatory {', '.join(r['excitatory']) or '-'}; inhibitory {', '.join(r['inhibitory']) or '-'}; "
            f"mixed {', '.join(r['mixed']) or '-'}; silent {', '.join(r['silent']) or '-'}.")
        add(f"Channel (units, tau = {c['tau']:.6g}): {_units(o['channel'])}; off-channel (silenced negative-readout "
            f"units): {_units(o.get('off_channel', []))}. Every clause has a dedicated channel unit (FCC reading): "
            f"{'yes' if o['fcc_consistent'] else 'no'}.")
        add("")
        if o["terms"]:
            add("| clause | negations | channel units | dedicated | off-channel | inhibiting units |")
            add("|---|---|---|---|---|---|")
            for t in o["terms"]:
                inh = "; ".join(f"{_set(i['set'])}: " + (", ".join(f"{u['unit']} ({u['effect']})" for u in i["units"])
                                                          or "magnitudes") for i in t["inhibitors"])
                add(f"| {_set(t['clause'])} | {', '.join(_set(J) for J in t['negations']) or '-'} | "
                    f"{_units(t['channel'])} | {_units(t['dedicated'])} | {_units(t.get('off_channel', []))} | "
                    f"{inh or '-'} |")
        e = o.get("errors")
        if e is not None:
            add("")
            if e.get("predicted") is None:
                add(f"Errors against the target: {e['actual_count']} actual; no prediction ({e.get('note', '')}).")
                continue
            add(f"Errors against the target `{e['target']}`: predicted {e['predicted_count']} "
                f"({e['false_positives']} false positives, {e['false_negatives']} false negatives), actual "
                f"{e['actual_count']}: prediction {'confirmed (identical lists)' if e['confirmed'] else 'NOT confirmed'}.")
            for a in e["attribution"][:20]:
                add(f"- {_set(a['point'])} ({a['kind']}): {a['cause']}")
            if len(e["attribution"]) > 20:
                add(f"- ... ({e['predicted_count']} in all; see report.json)")
    add("")
    add("## Polysemanticity and interference")
    add("")
    dg = it.degrees
    add(f"Degree of each unit of hidden layer {dg['layer']} (number of outputs whose channel contains it): "
        + ", ".join(f"{h}:{d}" for h, d in enumerate(dg["degree"])) + ".")
    add(f"Polysemantic units (degree >= 2): {_units(dg['polysemantic'])}. Off-channel degree (outputs that a unit's "
        "silencing drives): " + ", ".join(f"{h}:{d}" for h, d in enumerate(dg.get("off_degree", []))) + ".")
    add("")
    if it.overlaps:
        F = len(it.overlaps)
        add("Channel overlaps (shared units):")
        add("")
        add("| | " + " | ".join(f"y{g}" for g in range(F)) + " |")
        add("|---|" + "---|" * F)
        for f in range(F):
            add(f"| y{f} | " + " | ".join(str(v) for v in it.overlaps[f]) + " |")
    if it.collisions:
        add("")
        add("Collisions (activating sets of shared units, and the outputs they belong to / interfere with):")
        add("")
        for col in it.collisions:
            rows = "; ".join(f"{_set(r['set'])} -> belongs to {[f'y{g}' for g in r['belongs_to']]}, interferes with "
                             f"{[f'y{g}' for g in r['interferes_with']]}" for r in col["activating_sets"][:8])
            add(f"- unit {col['unit']} (outputs {', '.join(f'y{g}' for g in col['outputs'])}): {rows}")
    add("")
    add("## Tau sweep")
    add("")
    add("| tau | nnz(S_in) | nnz(S_out) | channels | off-channels | same channels as chosen tau |")
    add("|---|---|---|---|---|---|")
    for r in it.tau_sweep:
        ch = "; ".join(f"y{f}:{_units(u)}" for f, u in enumerate(r["channels"]))
        oc = "; ".join(f"y{f}:{_units(u)}" for f, u in enumerate(r.get("off_channels", [])))
        add(f"| {r['tau']:.6g} | {r['nnz_in']} | {r['nnz_out']} | {ch} | {oc} | "
            f"{'yes' if r['same_channels_as_chosen'] else 'no'} |")
    if it.cascade is not None:
        add("")
        add("## Cascading disentanglement (layer by layer)")
        add("")
        cz = it.cascade
        add(f"{cz.get('claim', cz.get('note', ''))}.")
        for lay in cz.get("layers", []):
            add("")
            add(f"Layer {lay['layer']}:")
            add("")
            for u in lay["units"]:
                extra = ""
                if "boolean_exact" in u:
                    extra = " (Boolean-exact" + (f", value {u['value_when_active']} when active" if
                                                  u.get("value_when_active") else "") + ")" if u["boolean_exact"] \
                        else " (not Boolean-exact)"
                add(f"- unit {u['unit']} over {u.get('over')}: `{u.get('formula')}`{extra}"
                    f"{'' if u.get('verified') else ' NOT verified'}"
                    + (f". {u['not_boolean']}" if u.get("not_boolean") else ""))
    if it.crosscheck is not None:
        add("")
        add("## Cross-check with the exact solvers")
        add("")
        cc = it.crosscheck
        for k, v in cc.items():
            if k != "result":
                add(f"- {k}: {v}")
    add("")
    add("## Notes")
    add("")
    for n in it.notes:
        add(f"- {n}")
    add(f"- Interpretation took {it.seconds:.3g} s.")
    add("")
    return "\n".join(L)
