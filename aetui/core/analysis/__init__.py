"""Numbers about codes and images, in numpy: `latent` (PCA, the planes a sweep decodes), `sparsity`
(how many units fire, and how strongly), `images` (pixels as arrays and bytes), `area` (the share of
the latent plane each class holds), `metrics` (the figures papers report, each tested against a
reference) and `evaluation` (`aetui eval`'s figures of a model on a whole test set). It is handed
arrays and a model's encoder and decoder, never a session: it may import numpy and scikit-learn, and
nothing of the store, training, control, the sweeps or the families.
"""
