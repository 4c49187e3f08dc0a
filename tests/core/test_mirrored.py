"""MirroredStrategy for real: two replicas on two logical CPUs (a child process, since logical
devices must be set before TensorFlow starts), and `--strategy mirrored` on this CPU-only machine."""

import json
import sys
import textwrap

import pytest

from aetui.core.store import sessions
from tests import support

pytestmark = pytest.mark.slow

CHILD = textwrap.dedent('''
    import json, sys, threading
    from pathlib import Path
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from aetui.core import data, events, recipe
    from aetui.core.store import paths
    from aetui.core.store import sessions
    from aetui.core.training import trainer as training
    digits = data.load("digits").limited(257)  # 257: the last batch of 1 would leave a replica empty
    out = {}
    for name in ("sparse-kl", "aae-mixture"):  # the loss-part models, and the AAE's own train step
        r = recipe.find(name, paths.recipe_dirs())
        runs = {}
        for label in ("one", "two"):
            strategy = None if label == "one" else tf.distribute.MirroredStrategy(
                ["/cpu:0", "/cpu:1"], cross_device_ops=tf.distribute.ReductionToOneDevice())
            controls = training.Controls(r.tunables)
            knob = "beta" if "beta" in r.tunables else "learning_rate"
            def on_event(event, controls=controls, knob=knob):
                if isinstance(event, events.EpochEnded) and event.epoch == 1:
                    controls.set(knob, 0.5 if knob == "beta" else 1e-4)
            path = training.train(r, digits, Path(sys.argv[1]), epochs=2, batch_size=64, name=f"{name}-{label}",
                                  strategy=strategy, controls=controls, on_event=on_event)
            s = sessions.open_session(path)
            runs[label] = {"status": s.status, "device": s.meta.device,
                           "loss": [e.logs["loss"] for e in s.epochs],
                           "parts": {k: v for k, v in s.epochs[0].logs.items() if not k.startswith("val_")},
                           "changes": [(c.name, c.new) for c in s.changes]}
        out[name] = runs
    print("RESULT" + json.dumps(out))
''')


def test_two_replicas_train_every_family_with_live_changes_and_one_device_losses(tmp_path):
    out = support.run([sys.executable, "-c", CHILD, str(tmp_path)], timeout=600)
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT")), None)
    assert line, out.stdout[-2000:] + out.stderr[-3000:]
    for name, runs in json.loads(line[6:]).items():
        one, two = runs["one"], runs["two"]
        assert one["status"] == two["status"] == "finished", (name, runs)
        assert "2 replica(s)" in two["device"]
        # The loss reads as with one device (not N times it), and its parts still add up to it.
        assert abs(two["loss"][0] - one["loss"][0]) <= 0.05 * abs(one["loss"][0]), (name, one["loss"], two["loss"])
        if name != "aae-mixture":  # the AAE logs its three phases separately; `loss` is its reconstruction
            parts = sum(v for k, v in two["parts"].items() if k != "loss" and "_" not in k)  # (not sparsity_epoch)
            assert abs(parts - two["parts"]["loss"]) <= 1e-3 * abs(two["parts"]["loss"]) + 1e-4, (name, two["parts"])
        assert two["changes"] == one["changes"] and two["changes"], (name, runs)  # live changes work


def test_strategy_mirrored_on_a_cpu_only_machine_runs_one_replica_and_says_so(tmp_path):
    out = support.aetui(tmp_path, "train", "ae-32", "--dataset", "digits", "--epochs", "1", "--strategy", "mirrored",
                        "--session", "m")
    assert out.returncode == 0, out.stderr
    assert "mirrored: 1 replica on the CPU" in out.stdout
    s = sessions.open_session(tmp_path / "m")
    assert s.meta.strategy == "mirrored" and "1 replica" in s.meta.device and s.status == "finished"
