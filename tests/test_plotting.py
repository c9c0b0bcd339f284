"""Tests of deeplib.plotting under the non-interactive Agg backend: each function runs,
returns axes with the expected artists, labels its axes and never calls plt.show()."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402

from deeplib import plotting  # noqa: E402
from deeplib.activations import Tanh  # noqa: E402
from deeplib.layers import Dense  # noqa: E402
from deeplib.model import Sequential  # noqa: E402
from deeplib.training import History  # noqa: E402


@pytest.fixture(autouse=True)
def _no_show_and_close(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("deeplib.plotting must not call plt.show()")

    monkeypatch.setattr(plt, "show", forbidden)
    yield
    plt.close("all")


def test_plot_function_with_and_without_derivative():
    ax = plotting.plot_function(np.tanh, df=lambda z: 1 - np.tanh(z) ** 2, name="tanh")
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.tanh(np.linspace(-5, 5, 401)))
    assert ax.get_xlabel() and ax.get_title() == "tanh"
    assert ax.get_legend() is not None
    _, own = plt.subplots()
    ax2 = plotting.plot_function(Tanh(), z=np.linspace(-2, 2, 11), ax=own)
    assert ax2 is own and len(own.lines) == 1
    assert len(own.lines[0].get_xdata()) == 11


def test_plot_function_accepts_activation_object_as_derivative():
    act = Tanh()
    ax = plotting.plot_function(act, df=act)
    z = np.linspace(-5, 5, 401)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), 1 - np.tanh(z) ** 2, atol=1e-12)


def test_plot_history_train_and_validation_curves():
    h = History(loss=[1.0, 0.5, 0.25], accuracy=[0.5, 0.8, 0.9], val_loss=[1.1, 0.7, 0.6],
                val_accuracy=[0.4, 0.7, 0.8], epochs=[1, 2, 3])
    axes = plotting.plot_history(h)
    assert len(axes) == 2
    assert [len(a.lines) for a in axes] == [2, 2]
    assert axes[0].get_yscale() == "log" and axes[1].get_yscale() == "linear"
    np.testing.assert_array_equal(axes[0].lines[0].get_xdata(), [1, 2, 3])
    assert all(a.get_xlabel() == "epoch" and a.get_legend() is not None for a in axes)


def test_plot_history_from_dict_without_validation_and_step_loss():
    h = History(loss=[1.0, 0.5], accuracy=[0.5, 0.7], step_loss=[2.0, 1.0, 0.8, 0.6],
                epochs=[1, 2])
    axes = plotting.plot_history(h.as_dict(), metrics=("loss", "step_loss"))
    assert [len(a.lines) for a in axes] == [1, 1]
    assert len(axes[1].lines[0].get_xdata()) == 4


def test_plot_history_skips_all_nan_validation_accuracy():
    h = History(loss=[1.0, 0.5], accuracy=[float("nan")] * 2, val_loss=[1.0, 0.9],
                val_accuracy=[float("nan")] * 2, epochs=[1, 2])
    axes = plotting.plot_history(h)
    assert [len(a.lines) for a in axes] == [2, 1]


def test_plot_layer_histograms_from_arrays_and_stats():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((50, 4)), np.tanh(rng.standard_normal((50, 4))),
              np.zeros((50, 4))]
    axes = plotting.plot_layer_histograms(arrays, bins=20, title="activations")
    assert len(axes) == 3
    assert all(len(a.patches) == 1 for a in axes)  # one filled histogram per layer
    assert axes[0].figure.get_suptitle() == "activations"
    stats = [{"layer": 1, "name": "tanh", "values": arrays[1]},
             {"layer": 3, "name": "relu", "values": np.array([[np.nan, 1.0]])}]
    axes = plotting.plot_layer_histograms(stats)
    assert "tanh" in axes[0].get_title() and "layer 3" in axes[1].get_title()


def test_plot_loss_surface_one_line_per_path():
    def f(x, y):
        return 0.1 * x ** 2 + 2.0 * y ** 2

    paths = {"sgd": np.array([[-4.0, 2.0], [-3.0, 1.0], [-2.0, 0.5]]),
             "adam": np.array([[-4.0, 2.0], [-3.5, 1.5]])}
    ax = plotting.plot_loss_surface(f, (-5, 5), (-3, 3), paths=paths)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), paths["sgd"][:, 0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["sgd", "adam"]
    assert ax.get_xlim() == (-5, 5)
    assert len(ax.collections) >= 1  # the contour set
    ax2 = plotting.plot_loss_surface(f, (-1, 1), (-1, 1), log=False, levels=5)
    assert len(ax2.lines) == 0 and ax2.get_legend() is None
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_loss_surface(f, (-1, 1), (-1, 1), paths={"bad": np.zeros((3, 3))})


@pytest.mark.parametrize("n_out", [1, 3])
def test_plot_decision_boundary_regions_and_points(n_out):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2))
    y = rng.integers(0, max(n_out, 2), size=40)
    model = Sequential(Dense(2, n_out, rng=rng))
    model.train()
    ax = plotting.plot_decision_boundary(model, X, y, resolution=30)
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(scatters) == 1 and len(scatters[0].get_offsets()) == 40
    assert len(ax.collections) == 2  # filled class regions + points
    assert model.training is True
    assert ax.get_xlabel() and ax.get_ylabel()


def test_plot_decision_boundary_rejects_non_2d_inputs():
    model = Sequential(Dense(3, 2, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plotting.plot_decision_boundary(model, np.zeros((5, 3)), np.zeros(5, int))
