"""Recipes are data: the shipped ones load, broken ones are refused naming file, key and reason."""

from pathlib import Path

import pytest

from aetui.core import recipe
from aetui.core.errors import AetuiError
from aetui.core.store import paths

SEED_PRESETS = {"vae-2d", "ae-32", "sparse-l1", "sparse-kl", "sparse-kl-wd", "nonneg", "aae-gaussian", "aae-mixture"}


def test_every_seed_experiment_has_a_recipe(recipes):
    assert SEED_PRESETS <= set(recipes)
    for r in recipes.values():
        assert r.description and r.kind in recipe.KINDS


def test_recipes_carry_the_seed_settings(recipes):
    assert recipes["sparse-l1"].params["lam"] == 1e-7
    assert recipes["sparse-kl"].params == {"learning_rate": 0.001, "beta": 3.0, "p": 0.05, "weight_decay": 0.0}
    assert recipes["sparse-kl-wd"].params["weight_decay"] == 0.003
    assert recipes["sparse-kl-mean"].loss["kl_reduction"] == "mean"
    assert recipes["nonneg"].loss["nonneg"] == "hard" and "weight_decay" not in recipes["nonneg"].params
    assert recipes["vae-2d"].net["code"] == 2 and recipes["vae-2d"].loss["reduction"] == "sum"
    assert recipes["aae-mixture"].loss["prior"] == "mixture"


def test_round_trip_through_a_session_dict(recipes):
    for r in recipes.values():
        assert recipe.Recipe.from_dict(r.to_dict(), r.name, "session") == r


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, fragment", [
    ('kind = "ae"\n[net\n', "not valid TOML"),
    ('description = "x"\n', "kind: missing"),
    ('kind = "gan"\n', "unknown model kind 'gan'"),
    ('kind = "ae"\n[net]\ncode = "big"\n', "[net] code: must be a whole number, got 'big'"),
    ('kind = "ae"\n[net]\ncode = 0\n', "[net] code: must be at least 1"),
    ('kind = "ae"\n[net]\nhidden = [256, -1]\n', "[net] hidden: must be a list of positive layer sizes"),
    ('kind = "ae"\n[loss]\nreduction = "avg"\n', "[loss] reduction: must be one of 'mean', 'sum', got 'avg'"),
    ('kind = "ae"\n[train]\nbatchsize = 3\n', "[train] batchsize: unknown key"),
    ('kind = "ae"\nlayers = 3\n', "layers: unknown key"),
    ('kind = "sparse"\n', "[loss] sparsity: a sparse autoencoder needs 'l1' or 'kl'"),
    ('kind = "vae"\n[params]\nlam = 0.1\n', "[params] lam: not used by this model"),
    ('kind = "vae"\n[params]\nbeta = -2\n', "[params] beta: beta = -2 is out of range"),
    ('kind = "vae"\n[params]\nbeta = 1\n', "[params]: give a default for learning_rate"),
])
def test_malformed_recipe_names_file_key_and_reason(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(AetuiError) as err:
        recipe.load_file(path)
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


def test_user_folder_adds_and_overrides(tmp_path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    (user / "tiny.toml").write_text('kind = "ae"\ndescription = "mine"\n[params]\nlearning_rate = 0.01\n'
                                    "weight_decay = 0.0\n")
    (user / "ae-32.toml").write_text('kind = "ae"\ndescription = "override"\n[params]\nlearning_rate = 0.01\n'
                                     "weight_decay = 0.0\n")
    monkeypatch.setenv("AETUI_MODELS", str(user))
    monkeypatch.chdir(tmp_path)
    assert recipe.find("tiny", paths.recipe_dirs()).description == "mine"
    assert recipe.find("ae-32", paths.recipe_dirs()).description == "override"
    assert recipe.find("vae-2d", paths.recipe_dirs()).kind == "vae"


def test_unknown_recipe_lists_the_available_ones():
    with pytest.raises(AetuiError, match="no recipe named 'nope' .*vae-2d"):
        recipe.find("nope", paths.recipe_dirs())
