"""The convolutional families in the workbench, trained for real on the digits: the conv VAE's
panels are a VAE's (the latents panel, the 2-D scatter), and a denoising recipe has a noise slider
whose help says what it does."""

from aetui.ui.widgets.digit_panel import ScatterPane
from aetui.ui.widgets.param_slider import ParamSlider
from tests.support import ended, open_recipe, until


async def test_the_conv_vae_trains_with_a_vaes_panels(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_recipe(pilot, app, "conv-vae")
        app.screen.query_one("#slider-epochs", ParamSlider).set_value(1)
        assert app.screen.query_one("#stats").border_title.startswith("6 latents")  # (its key, and the scatter's)
        assert app.screen.query(ScatterPane)
        await pilot.press("space")
        await until(pilot, lambda: ended(app), seconds=120)
        assert app.runner.state.status == "finished" and app.runner.state.epochs


async def test_a_denoising_recipe_has_a_noise_slider(make_app):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_recipe(pilot, app, "conv-ae-denoise")
        slider = app.screen.query_one("#slider-noise", ParamSlider)
        assert slider.spec.name == "noise" and "clean" in slider.spec.help
