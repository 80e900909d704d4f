"""PyTorch side of `npm run bench`: the book chapter's GANs with the same layers, batch, optimisers and
training step as tsgan's benchmark (bench/run.ts runs lib/train's loop on lib/models' networks).

    python3 bench/torch_gan.py --models vanilla,dcgan,cgan,acgan --seconds 20 [--batch 64] [--threads N]

bench/run.ts runs it once per (round, model, thread count), interleaved with tsgan's measurements, in an
environment of its own: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed (they would pin OpenBLAS to another
CPU's kernels; they stay set everywhere else), and OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
MKL_NUM_THREADS = N. With --threads N this script sets those three itself too, before torch (and so
OpenBLAS and OpenMP, which read them when loaded) is imported, then torch.set_num_threads(N) and
torch.set_num_interop_threads(1): torch.set_num_threads alone does not bound OpenBLAS's own pthread pool.
Without --threads every library keeps its own default.

Prints progress on stderr and, as the last line on stdout, one JSON object:
    {"torch": version, "threads": torch's intra-op threads, "interop_threads": n,
     "blas": {"library", "corename", "config", "num_threads", "parallel"} (from the OpenBLAS this process
       loaded, found in /proc/self/maps and asked through ctypes; nulls where there is none),
     "threadpoolctl": its threadpool_info() where importable, else null,
     "torch_build": {"blas_info", "lapack_info", "cpu_capability", "parallel_backend"} (torch.__config__),
     "env": {OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS} as
       this process saw them (null = unset),
     "results": {model: {"steps_per_s", "steps", "seconds", "cpu_per_wall", "params", "error"}}}
cpu_per_wall is the process's CPU time over the timed steps divided by their wall time: about 1 for one busy
thread, about N when N threads compute.

Matching choices (Keras/tfjs conventions translated to PyTorch):
- BatchNormalization(momentum=0.8) keeps 80 % of the old moving average: PyTorch momentum=0.2; Keras's
  epsilon 1e-3 (PyTorch's default is 1e-5).
- Keras "same" padding for 3x3 kernels is padding=1 (same output sizes; stride 2 pads one side in Keras,
  both here, which costs the same). Conv2DTranspose(5, stride 2, "same") is padding=2, output_padding=1.
- Adam(2e-4, betas (0.5, 0.999), eps 1e-7 as tfjs).
- Conditional models draw uniform labels for G's batches and take random labels with the real batches;
  ACGAN adds the class cross-entropy on real and fake to D's loss and on fake to G's (Odena et al. 2017).
- Layout is PyTorch's NCHW; tfjs uses NHWC. Parameter counts are identical.
- In the G update D's parameters are frozen (requires_grad False) so D's weight gradients are not computed:
  tfjs's tf.variableGrads only differentiates G's variables, and the two must do the same work.
- Real images: random uniform [-1, 1] tensors of MNIST shape, a pool of 8 batches, as the tsgan side.
- WGAN-GP (`wgan-gp`, tsgan's wganGpSpec with the MLP trunk): 5 critic updates per step on the vanilla critic,
  each with the gradient penalty λ = 10 on random interpolates, the norm's square root with ε = 1e-10 inside,
  taken with torch.autograd.grad(..., create_graph=True) (the double backprop); Adam(1e-4, β (0.5, 0.9)).
- SN-GAN (`sngan-mlp`, tsgan's snganSpec with the MLP trunk): the vanilla critic with torch.nn.utils
  .spectral_norm on every linear layer (one power iteration per call, ε 1e-12), the hinge loss, 5 critic updates,
  Adam(2e-4, β (0, 0.9)). In both, the generator's update uses fresh noise, as tsgan's.
- BiGAN (`bigan`, tsgan's biganGame with its defaults): z ~ U(-1, 1)^50; encoder flatten -> (Linear 512 ->
  LeakyReLU 0.2 -> BN) x 2 -> Linear 50; generator (Linear 512 -> ReLU -> BN) x 2 -> Linear 784, tanh; joint
  D(x, z): x -> Linear 512 -> LeakyReLU, z -> Linear 512 -> LeakyReLU, concatenated (x first) -> Linear 512 ->
  LeakyReLU -> Linear 1. Their BN is tfjs's batchNormalization() default (momentum 0.99 = PyTorch 0.01, eps 1e-3).
  A step, as tsgan's game with one update per player in order, on one real batch and one prior draw:
  D on (x, E(x)) -> 1 and (G(z), z) -> 0 with E(x) and G(z) computed under no_grad; then E and G with ONE Adam
  on BCE(D(G(z), z), 1) + BCE(D(x, E(x)), 0) (the non-saturating "inverted labels"), D frozen. Adam(2e-4, 0.5).
- VAE-GAN (`vae-gan`, tsgan's vaeGanGame with its defaults): latent 32, z ~ N(0, I); encoder flatten ->
  Linear 512 -> LeakyReLU -> Linear 256 -> LeakyReLU -> heads mu and log sigma^2 (the latter zero-initialised,
  as tsgan's); decoder = the vanilla generator with a 32-long input (BN momentum 0.8 there); D flatten -> Linear
  512 -> LeakyReLU -> Linear 256 -> LeakyReLU = the features, -> Linear 1 = the logit. Three players in order,
  each with its own Adam(3e-4, 0.5), on one real batch and one prior draw, each drawing its own reparameterisation
  noise: D on -log D(x) - log(1 - D(G(z))) - log(1 - D(x~)), x~ = G(mu + sigma * eps), with G(z) and x~ under
  no_grad; E (G and D frozen) on KL(q(z|x) || N(0, I)) + sum((D_l(x) - D_l(x~))^2) / (2 sigma^2) / batch (sigma 0.1), D_l(x) under
  no_grad; G (E and D frozen, the code under no_grad) on 1e-2 * the same feature term + BCE(D(G(z)), 1) +
  BCE(D(x~), 1). Every D call is its own forward, as tsgan's three discriminate() calls.
- The toy rows, on 2-D points (random uniform [-1, 1]^2, a pool of 8 batches), each with its setting's batch
  unless --batch is given (bench/run.ts passes it). tsgan's mlp(): Linear -> activation per hidden layer, then
  a linear output. `toy-gan` (tsgan's mlpGanSpec as notebooks/04-mode-collapse.ipynb trains it on the ring and
  grid): z ~ N(0, I)^2, G 2 -> 64 -> 64 -> 2, D 2 -> 64 -> 64 -> 1, LeakyReLU 0.2, batch 100, the vanilla step
  with Adam(1e-3, (0.5, 0.999)). `wgan-gp-toy` (Gulrajani et al.'s gan_toy.py, tsgan's wganGpSpec on mlp()
  networks): z ~ N(0, I)^2, G 2 -> 512 -> 512 -> 512 -> 2, critic 2 -> 512 -> 512 -> 512 -> 1, ReLU, batch 256,
  the WGAN-GP step above with gan_toy.py's lambda = 0.1 (one mixing weight per point), Adam(1e-4, (0.5, 0.9)).
"""
import argparse
import contextlib
import ctypes
import json
import os
import re
import sys
import time

# The variables that size the thread pools of OpenBLAS, OpenMP (torch's intra-op pool) and MKL. Each library
# reads its own when it is loaded, so they must be in os.environ before `import torch`.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Echoed in the report, so a reader sees what OpenBLAS was told (bench/run.ts removes the first two).
REPORTED_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") + THREAD_VARIABLES


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="vanilla,dcgan,cgan,acgan")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--batch", type=int, default=None,
                    help="the real batch (default: 64; toy-gan 100, wgan-gp-toy 256, their settings')")
    ap.add_argument("--threads", type=int, default=None,
                    help="N: OPENBLAS/OMP/MKL_NUM_THREADS=N before torch loads, torch.set_num_threads(N), "
                         "set_num_interop_threads(1) (default: every library's own choice)")
    ap.add_argument("--device", default="cpu",
                    help="where PyTorch runs the step: cpu (the bench's comparison) or cuda, for a GPU reference "
                         "figure where torch sees one (torch >= 2.0: set_default_device)")
    args = ap.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        ap.error("--threads must be a positive integer")
    return args


if __name__ == "__main__":
    ARGS = parse_args()  # before torch: --help and bad arguments need no torch, and the threads must be set first
    if ARGS.threads:
        for variable in THREAD_VARIABLES:
            os.environ[variable] = str(ARGS.threads)

import torch  # noqa: E402 (after the thread variables)
import torch.nn as nn
import torch.nn.functional as F

LATENT_DIM = 100
BN = dict(eps=1e-3, momentum=0.2)
REAL_POOL = 8
IMAGE_SHAPE = (1, 28, 28)
DEFAULT_BATCH = 64


def vanilla_generator(latent_dim=LATENT_DIM):
    layers = []
    fan_in = latent_dim
    for units in (256, 512, 1024):
        layers += [nn.Linear(fan_in, units), nn.LeakyReLU(0.2), nn.BatchNorm1d(units, **BN)]
        fan_in = units
    layers += [nn.Linear(1024, 28 * 28), nn.Tanh(), nn.Unflatten(1, (1, 28, 28))]
    return nn.Sequential(*layers)


def vanilla_discriminator():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 512), nn.LeakyReLU(0.2),
        nn.Linear(512, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 1),
    )


def dcgan_generator(transposed=False):
    layers = [nn.Linear(LATENT_DIM, 128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7))]
    channels = 128
    for filters in (128, 64):
        if transposed:
            layers.append(nn.ConvTranspose2d(channels, filters, 5, stride=2, padding=2, output_padding=1))
        else:
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(channels, filters, 3, padding=1)]
        layers += [nn.BatchNorm2d(filters, **BN), nn.ReLU()]
        channels = filters
    layers += [nn.Conv2d(64, 1, 3, padding=1), nn.Tanh()]
    return nn.Sequential(*layers)


def dcgan_discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Dropout(0.25),  # 28 -> 14
        nn.Conv2d(32, 64, 3, stride=2, padding=1),  # 14 -> 7
        nn.ZeroPad2d((0, 1, 0, 1)),  # 7 -> 8, bottom and right as Keras's ZeroPadding2D(((0, 1), (0, 1)))
        nn.BatchNorm2d(64, **BN), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Conv2d(64, 128, 3, stride=2, padding=1), nn.BatchNorm2d(128, **BN), nn.LeakyReLU(0.2), nn.Dropout(0.25),  # 8 -> 4
        nn.Conv2d(128, 256, 3, stride=1, padding=1), nn.BatchNorm2d(256, **BN), nn.LeakyReLU(0.2), nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(4 * 4 * 256, 1),
    )


class Unconditional(nn.Module):
    """G(z, y) = net(z) and D(x, y) = (net(x), None): the label is ignored, so every model has one interface."""

    def __init__(self, net, discriminator=False):
        super().__init__()
        self.net = net
        self.discriminator = discriminator

    def forward(self, x, y):
        out = self.net(x)
        return (out, None) if self.discriminator else out


class LabelTimesLatent(nn.Module):
    """The chapter's conditional generator: z * Embedding(y) (Keras Embedding(10, 100) + Multiply), then a trunk."""

    def __init__(self, trunk, classes=10):
        super().__init__()
        self.embedding = nn.Embedding(classes, LATENT_DIM)
        self.trunk = trunk

    def forward(self, z, y):
        return self.trunk(z * self.embedding(y))


class CganDiscriminator(nn.Module):
    """The chapter's conditional D: flatten(x) * Embedding(y) -> 3 x (Dense 512, LeakyReLU), dropout 0.4 after 2 and 3."""

    def __init__(self, classes=10):
        super().__init__()
        self.embedding = nn.Embedding(classes, 28 * 28)
        self.net = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 512), nn.LeakyReLU(0.2), nn.Dropout(0.4),
            nn.Linear(512, 512), nn.LeakyReLU(0.2), nn.Dropout(0.4),
            nn.Linear(512, 1),
        )

    def forward(self, x, y):
        return self.net(torch.flatten(x, 1) * self.embedding(y)), None


class AcganDiscriminator(nn.Module):
    """ACGAN's D: the DCGAN discriminator's features, then a source logit and 10 class logits."""

    def __init__(self, classes=10):
        super().__init__()
        self.features = dcgan_discriminator()[:-1]
        self.source = nn.Linear(4 * 4 * 256, 1)
        self.classes = nn.Linear(4 * 4 * 256, classes)

    def forward(self, x, y):
        h = self.features(x)
        return self.source(h), self.classes(h)


def sn_vanilla_critic():
    sn = nn.utils.spectral_norm
    return nn.Sequential(
        nn.Flatten(),
        sn(nn.Linear(28 * 28, 512)), nn.LeakyReLU(0.2),
        sn(nn.Linear(512, 256)), nn.LeakyReLU(0.2),
        sn(nn.Linear(256, 1)),
    )


def toy_mlp(in_size, hidden, out_size, activation):
    """tsgan's mlp(): [Linear -> activation] per hidden size, then a linear output (a logit, or a 2-D sample)."""
    layers = []
    fan_in = in_size
    for units in hidden:
        layers += [nn.Linear(fan_in, units), activation()]
        fan_in = units
    layers.append(nn.Linear(fan_in, out_size))
    return nn.Sequential(*layers)


def leaky():
    return nn.LeakyReLU(0.2)


TOY_GAN_HIDDEN = (64, 64)  # notebooks/04-mode-collapse.ipynb's toyHidden
TOY_WGAN_GP_HIDDEN = (512, 512, 512)  # gan_toy.py's DIM, three ReLU layers

MODELS = {
    "vanilla": lambda: (Unconditional(vanilla_generator()), Unconditional(vanilla_discriminator(), True)),
    "dcgan": lambda: (Unconditional(dcgan_generator()), Unconditional(dcgan_discriminator(), True)),
    "dcgan-transposed": lambda: (Unconditional(dcgan_generator(transposed=True)), Unconditional(dcgan_discriminator(), True)),
    "cgan": lambda: (LabelTimesLatent(vanilla_generator()), CganDiscriminator()),
    "acgan": lambda: (LabelTimesLatent(dcgan_generator()), AcganDiscriminator()),
    "wgan-gp": lambda: (Unconditional(vanilla_generator()), Unconditional(vanilla_discriminator(), True)),
    "sngan-mlp": lambda: (Unconditional(vanilla_generator()), Unconditional(sn_vanilla_critic(), True)),
    "toy-gan": lambda: (Unconditional(toy_mlp(2, TOY_GAN_HIDDEN, 2, leaky)), Unconditional(toy_mlp(2, TOY_GAN_HIDDEN, 1, leaky), True)),
    "wgan-gp-toy": lambda: (Unconditional(toy_mlp(2, TOY_WGAN_GP_HIDDEN, 2, nn.ReLU)),
                            Unconditional(toy_mlp(2, TOY_WGAN_GP_HIDDEN, 1, nn.ReLU), True)),
}

# The critic GANs: their loss ("gp": Wasserstein + the gradient penalty of weight lambda; "hinge"), 5 critic updates.
CRITIC = {
    "wgan-gp": dict(loss="gp", penalty=10.0, adam=dict(lr=1e-4, betas=(0.5, 0.9), eps=1e-7)),
    "wgan-gp-toy": dict(loss="gp", penalty=0.1, adam=dict(lr=1e-4, betas=(0.5, 0.9), eps=1e-7)),
    "sngan-mlp": dict(loss="hinge", penalty=None, adam=dict(lr=2e-4, betas=(0.0, 0.9), eps=1e-7)),
}
CRITIC_STEPS = {name: 5 for name in CRITIC}

# What differs per model from the image rows (latent 100, MNIST's shape, batch --batch or 64, Adam(2e-4, 0.5)):
# the toy rows on 2-D points with their settings' latent size, batch and, for toy-gan, Adam(1e-3, 0.5).
SETTINGS = {
    "toy-gan": dict(latent=2, data_shape=(2,), batch=100, adam=dict(lr=1e-3, betas=(0.5, 0.999), eps=1e-7)),
    "wgan-gp-toy": dict(latent=2, data_shape=(2,), batch=256),
}


def setting(name, key, default):
    return SETTINGS.get(name, {}).get(key, default)

# ---------------------------------------------------------------------------------------------------------
# Games of three networks (lib/models/bigan.ts, lib/models/vae-gan.ts)
# ---------------------------------------------------------------------------------------------------------

# tfjs's tf.layers.batchNormalization() defaults: momentum 0.99 (keeps 99 % of the moving average), epsilon 1e-3.
BN_TFJS_DEFAULT = dict(eps=1e-3, momentum=0.01)
BIGAN_LATENT = 50
BIGAN_HIDDEN = (512, 512)
VAE_GAN_LATENT = 32
VAE_GAN_HIDDEN = (512, 256)
VAE_GAN_GAMMA = 1e-2
VAE_GAN_FEATURE_SIGMA = 0.1  # tsgan's featureSigma: the feature-space Gaussian's sigma


def bigan_encoder():
    layers = [nn.Flatten()]
    fan_in = 28 * 28
    for units in BIGAN_HIDDEN:
        layers += [nn.Linear(fan_in, units), nn.LeakyReLU(0.2), nn.BatchNorm1d(units, **BN_TFJS_DEFAULT)]
        fan_in = units
    layers.append(nn.Linear(fan_in, BIGAN_LATENT))
    return nn.Sequential(*layers)


def bigan_generator():
    layers = []
    fan_in = BIGAN_LATENT
    for units in BIGAN_HIDDEN:
        layers += [nn.Linear(fan_in, units), nn.ReLU(), nn.BatchNorm1d(units, **BN_TFJS_DEFAULT)]
        fan_in = units
    layers += [nn.Linear(fan_in, 28 * 28), nn.Tanh(), nn.Unflatten(1, (1, 28, 28))]
    return nn.Sequential(*layers)


class BiganDiscriminator(nn.Module):
    """D(x, z) -> one logit: an x trunk and a z trunk (Linear h1, LeakyReLU each), concatenated, then the joint MLP."""

    def __init__(self):
        super().__init__()
        h1 = BIGAN_HIDDEN[0]
        self.x_dense = nn.Linear(28 * 28, h1)
        self.z_dense = nn.Linear(BIGAN_LATENT, h1)
        joint = []
        fan_in = 2 * h1
        for units in BIGAN_HIDDEN[1:]:
            joint += [nn.Linear(fan_in, units), nn.LeakyReLU(0.2)]
            fan_in = units
        self.joint = nn.Sequential(*joint)
        self.logit = nn.Linear(fan_in, 1)

    def forward(self, x, z):
        hx = F.leaky_relu(self.x_dense(torch.flatten(x, 1)), 0.2)
        hz = F.leaky_relu(self.z_dense(z), 0.2)
        return self.logit(self.joint(torch.cat([hx, hz], 1)))


def mlp_trunk(hidden):
    layers = [nn.Flatten()]
    fan_in = 28 * 28
    for units in hidden:
        layers += [nn.Linear(fan_in, units), nn.LeakyReLU(0.2)]
        fan_in = units
    return nn.Sequential(*layers)


class VaeEncoder(nn.Module):
    """q(z|x): the MLP trunk, then two heads [mu, log sigma^2]; the log-variance head starts at zero (sigma = 1)."""

    def __init__(self):
        super().__init__()
        self.trunk = mlp_trunk(VAE_GAN_HIDDEN)
        self.mean = nn.Linear(VAE_GAN_HIDDEN[-1], VAE_GAN_LATENT)
        self.log_variance = nn.Linear(VAE_GAN_HIDDEN[-1], VAE_GAN_LATENT)
        nn.init.zeros_(self.log_variance.weight)
        nn.init.zeros_(self.log_variance.bias)

    def forward(self, x):
        h = self.trunk(x)
        return self.mean(h), self.log_variance(h)


class VaeGanDiscriminator(nn.Module):
    """D(x) -> (logit, features), the features being its last hidden layer (Larsen et al.'s Dis_l)."""

    def __init__(self):
        super().__init__()
        self.trunk = mlp_trunk(VAE_GAN_HIDDEN)
        self.logit = nn.Linear(VAE_GAN_HIDDEN[-1], 1)

    def forward(self, x):
        features = self.trunk(x)
        return self.logit(features), features


# name -> its networks, under tsgan's network names (the parameter counts are compared by name).
GAMES = {
    "bigan": lambda: {"encoder": bigan_encoder(), "generator": bigan_generator(), "discriminator": BiganDiscriminator()},
    "vae-gan": lambda: {"encoder": VaeEncoder(), "decoder": vanilla_generator(VAE_GAN_LATENT), "discriminator": VaeGanDiscriminator()},
}


@contextlib.contextmanager
def frozen(*modules):
    """The networks a player does not train: no weight gradients computed, as tfjs differentiates only the player's variables."""
    params = [p for m in modules for p in m.parameters()]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def make_bigan_step(nets, batch):
    E, G, D = nets["encoder"], nets["generator"], nets["discriminator"]
    adam = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    d_opt = torch.optim.Adam(D.parameters(), **adam)
    eg_opt = torch.optim.Adam(list(E.parameters()) + list(G.parameters()), **adam)
    ones = torch.ones(batch, 1)
    zeros = torch.zeros(batch, 1)

    def step(real, _labels):
        z = torch.rand(batch, BIGAN_LATENT) * 2 - 1  # the round's prior draw, shared by both players
        # D: (x, E(x)) -> 1, (G(z), z) -> 0; E(x) and G(z) are data for this update.
        with torch.no_grad():
            encoded, generated = E(real), G(z)
        d_opt.zero_grad(set_to_none=True)
        d_loss = (F.binary_cross_entropy_with_logits(D(real, encoded), ones)
                  + F.binary_cross_entropy_with_logits(D(generated, z), zeros))
        d_loss.backward()
        d_opt.step()
        # E and G together, one optimizer: G wants D(G(z), z) -> 1, E wants D(x, E(x)) -> 0.
        with frozen(D):
            eg_opt.zero_grad(set_to_none=True)
            real_logit = D(real, E(real))
            fake_logit = D(G(z), z)
            eg_loss = F.binary_cross_entropy_with_logits(fake_logit, ones) + F.binary_cross_entropy_with_logits(real_logit, zeros)
            eg_loss.backward()
            eg_opt.step()
        return d_loss.item(), eg_loss.item()

    return step


def make_vae_gan_step(nets, batch):
    E, G, D = nets["encoder"], nets["decoder"], nets["discriminator"]
    adam = dict(lr=3e-4, betas=(0.5, 0.999), eps=1e-7)
    d_opt = torch.optim.Adam(D.parameters(), **adam)
    e_opt = torch.optim.Adam(E.parameters(), **adam)
    g_opt = torch.optim.Adam(G.parameters(), **adam)
    ones = torch.ones(batch, 1)
    zeros = torch.zeros(batch, 1)

    def encode_and_sample(x):
        mean, log_variance = E(x)
        return mean, log_variance, mean + torch.exp(0.5 * log_variance) * torch.randn_like(mean)

    def kl(mean, log_variance):
        return 0.5 * (mean.pow(2) + log_variance.exp() - log_variance - 1).sum(1).mean()

    def feature_reconstruction(target, reconstruction):
        return (target - reconstruction).pow(2).sum() / (2 * VAE_GAN_FEATURE_SIGMA ** 2 * target.shape[0])

    def step(real, _labels):
        z = torch.randn(batch, VAE_GAN_LATENT)  # the round's prior draw, shared by the three players
        # D: real -> 1; G(z) and the reconstructions x~ -> 0, both as data.
        with torch.no_grad():
            reconstruction = G(encode_and_sample(real)[2])
            generated = G(z)
        d_opt.zero_grad(set_to_none=True)
        d_loss = (F.binary_cross_entropy_with_logits(D(real)[0], ones)
                  + F.binary_cross_entropy_with_logits(D(generated)[0], zeros)
                  + F.binary_cross_entropy_with_logits(D(reconstruction)[0], zeros))
        d_loss.backward()
        d_opt.step()
        # E: the prior term and the reconstruction in D's features; gradients pass through G and D to E only.
        with frozen(G, D):
            e_opt.zero_grad(set_to_none=True)
            mean, log_variance, code = encode_and_sample(real)
            reconstruction = G(code)
            with torch.no_grad():
                target = D(real)[1]
            e_loss = kl(mean, log_variance) + feature_reconstruction(target, D(reconstruction)[1])
            e_loss.backward()
            e_opt.step()
        # G: gamma * the feature reconstruction + non-saturating on G(z) and on x~; the code is data.
        with frozen(E, D):
            g_opt.zero_grad(set_to_none=True)
            with torch.no_grad():
                code = encode_and_sample(real)[2]
            reconstruction = G(code)
            generated = G(z)
            with torch.no_grad():
                target = D(real)[1]
            recon_logit, recon_features = D(reconstruction)
            fake_logit = D(generated)[0]
            g_loss = (VAE_GAN_GAMMA * feature_reconstruction(target, recon_features)
                      + F.binary_cross_entropy_with_logits(fake_logit, ones)
                      + F.binary_cross_entropy_with_logits(recon_logit, ones))
            g_loss.backward()
            g_opt.step()
        return d_loss.item(), g_loss.item()

    return step


GAME_STEPS = {"bigan": make_bigan_step, "vae-gan": make_vae_gan_step}


def count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_step(G, D, batch, latent_dim=LATENT_DIM, adam=None):
    adam = adam or dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
    d_opt = torch.optim.Adam(D.parameters(), **adam)
    g_opt = torch.optim.Adam(G.parameters(), **adam)
    ones = torch.ones(batch, 1)
    zeros = torch.zeros(batch, 1)
    d_params = list(D.parameters())

    def labels():
        return torch.randint(0, 10, (batch,))

    def step(real, real_labels):
        # D update: real -> 1, fake -> 0; the fake batch is not differentiated. ACGAN adds the class NLL on both.
        y = labels()
        with torch.no_grad():
            fake = G(torch.randn(batch, latent_dim), y)
        d_opt.zero_grad(set_to_none=True)
        real_logit, real_class = D(real, real_labels)
        fake_logit, fake_class = D(fake, y)
        d_loss = F.binary_cross_entropy_with_logits(real_logit, ones) + F.binary_cross_entropy_with_logits(fake_logit, zeros)
        if real_class is not None:
            d_loss = d_loss + F.cross_entropy(real_class, real_labels) + F.cross_entropy(fake_class, y)
        d_loss.backward()
        d_opt.step()
        # G update, non-saturating: fake -> 1 through D, only G's parameters get gradients.
        for p in d_params:
            p.requires_grad_(False)
        g_opt.zero_grad(set_to_none=True)
        y = labels()
        fake_logit, fake_class = D(G(torch.randn(batch, latent_dim), y), y)
        g_loss = F.binary_cross_entropy_with_logits(fake_logit, ones)
        if fake_class is not None:
            g_loss = g_loss + F.cross_entropy(fake_class, y)
        g_loss.backward()
        g_opt.step()
        for p in d_params:
            p.requires_grad_(True)
        return d_loss.item(), g_loss.item()

    return step


def make_critic_step(G, D, batch, name, latent_dim=LATENT_DIM):
    """One step of a critic GAN: CRITIC_STEPS critic updates (each on its own real batch), then one G update."""
    kind, penalty, opt = CRITIC[name]["loss"], CRITIC[name]["penalty"], CRITIC[name]["adam"]
    d_opt = torch.optim.Adam(D.parameters(), **opt)
    g_opt = torch.optim.Adam(G.parameters(), **opt)
    d_params = list(D.parameters())
    no_label = torch.zeros(batch, dtype=torch.long)

    def critic(x):
        return D(x, no_label)[0]

    def critic_update(real):
        with torch.no_grad():
            fake = G(torch.randn(batch, latent_dim), no_label)
        d_opt.zero_grad(set_to_none=True)
        real_score, fake_score = critic(real), critic(fake)
        if kind == "gp":
            loss = fake_score.mean() - real_score.mean()
            eps = torch.rand(batch, *([1] * (real.dim() - 1)))  # one mixing weight per example
            x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
            grad, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
            norm = torch.sqrt(grad.pow(2).sum(dim=tuple(range(1, real.dim()))) + 1e-10)
            loss = loss + penalty * ((norm - 1) ** 2).mean()
        else:
            loss = F.relu(1 - real_score).mean() + F.relu(1 + fake_score).mean()
        loss.backward()
        d_opt.step()
        return loss.item()

    state = {"i": 0}

    def step(real, _labels):
        d_loss = 0.0
        for _ in range(CRITIC_STEPS[name]):
            d_loss = critic_update(step.pool[state["i"] % REAL_POOL][0])
            state["i"] += 1
        for p in d_params:
            p.requires_grad_(False)
        g_opt.zero_grad(set_to_none=True)
        g_loss = -critic(G(torch.randn(batch, latent_dim), no_label)).mean()
        g_loss.backward()
        g_opt.step()
        for p in d_params:
            p.requires_grad_(True)
        return d_loss, g_loss.item()

    return step


def bench(name, seconds, batch=None, device="cpu"):
    torch.manual_seed(1234)
    # On a GPU a host clock read must wait for the queued steps; decided once, outside the timed loop.
    synchronize = torch.cuda.synchronize if device != "cpu" else (lambda: None)
    batch = batch or setting(name, "batch", DEFAULT_BATCH)
    latent_dim = setting(name, "latent", LATENT_DIM)
    if name in GAMES:
        nets = GAMES[name]()
        for net in nets.values():
            net.train()
        params = {n: count(net) for n, net in nets.items()}
        step = GAME_STEPS[name](nets, batch)
    else:
        G, D = MODELS[name]()
        G.train()
        D.train()
        params = {"generator": count(G), "discriminator": count(D)}
        step = (make_critic_step(G, D, batch, name, latent_dim) if name in CRITIC
                else make_step(G, D, batch, latent_dim, setting(name, "adam", None)))
    shape = setting(name, "data_shape", IMAGE_SHAPE)
    reals = [(torch.rand(batch, *shape) * 2 - 1, torch.randint(0, 10, (batch,))) for _ in range(REAL_POOL)]
    step.pool = reals
    warmup_s = min(3.0, seconds * 0.1)
    i = 0
    t0 = time.perf_counter()
    warm = 0
    while warm < 1 or time.perf_counter() - t0 < warmup_s:
        step(*reals[i % REAL_POOL]); i += 1; warm += 1
    synchronize()
    steps = 0
    t0 = time.perf_counter()
    cpu0 = time.process_time()  # every thread of the process: shows how many cores the timed steps kept busy
    elapsed = 0.0
    while steps < 2 or elapsed < seconds:
        step(*reals[i % REAL_POOL]); i += 1; steps += 1
        synchronize()
        elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    return {"steps_per_s": steps / elapsed, "steps": steps, "seconds": elapsed, "cpu_per_wall": cpu / elapsed,
            "batch": batch, "params": params, "error": None}


def openblas_report():
    """The OpenBLAS this process loaded (through torch): its path, kernel (corename), build config and threads.

    Found in /proc/self/maps (Linux): the first mapped library whose name has "blas" in it and that exports
    openblas_get_corename, asked through ctypes (dlopen of a loaded library returns the loaded one). All
    null where no OpenBLAS is loaded (a torch with MKL, or no /proc)."""
    report = {"library": None, "corename": None, "config": None, "num_threads": None, "parallel": None}
    try:
        with open("/proc/self/maps") as maps:
            paths = [line.split()[-1] for line in maps if len(line.split()) >= 6 and ".so" in line.split()[-1]]
    except OSError:
        return report
    candidates = [p for p in dict.fromkeys(paths) if "blas" in os.path.basename(p).lower()]
    candidates.sort(key=lambda p: "openblas" not in os.path.basename(p).lower())  # libopenblas* first
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
            corename = lib.openblas_get_corename
        except (OSError, AttributeError):
            continue
        corename.restype = ctypes.c_char_p
        report["library"] = path
        report["corename"] = corename().decode()
        for key, name, restype in (("config", "openblas_get_config", ctypes.c_char_p),
                                   ("num_threads", "openblas_get_num_threads", ctypes.c_int),
                                   ("parallel", "openblas_get_parallel", ctypes.c_int)):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = restype
                value = fn()
                report[key] = value.decode() if isinstance(value, bytes) else value
        if isinstance(report["parallel"], int):
            report["parallel"] = {0: "sequential", 1: "pthreads", 2: "OpenMP"}.get(report["parallel"], report["parallel"])
        break
    return report


def threadpoolctl_report():
    """threadpoolctl's view of the loaded BLAS and OpenMP pools, where it is importable (it is optional)."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    keys = ("user_api", "internal_api", "version", "num_threads", "architecture", "threading_layer", "filepath")
    return [{k: pool.get(k) for k in keys if k in pool} for pool in threadpoolctl.threadpool_info()]


def torch_build_report():
    """What torch was built with (torch.__config__.show()) and the intra-op backend it runs."""
    shown = torch.__config__.show()

    def field(pattern, text):
        m = re.search(pattern, text)
        return m.group(1).strip() if m else None

    try:
        parallel = torch.__config__.parallel_info()
    except Exception:  # older or odd builds: the report is informative only
        parallel = ""
    return {
        "blas_info": field(r"BLAS_INFO=([^,\s]+)", shown),
        "lapack_info": field(r"LAPACK_INFO=([^,\s]+)", shown),
        "cpu_capability": field(r"CPU capability usage: *(\S+)", shown),
        "parallel_backend": field(r"ATen parallel backend: *(.+)", parallel),
    }


def main():
    args = ARGS
    if args.threads:
        torch.set_num_threads(args.threads)
        torch.set_num_interop_threads(1)  # before any inter-op work; the step uses none anyway
    if args.device != "cpu":
        if not args.device.startswith("cuda") or not torch.cuda.is_available():
            sys.exit(f"torch_gan.py: --device {args.device}: this torch sees no CUDA GPU (use --device cpu)")
        torch.set_default_device(args.device)  # every module and tensor the steps create lands there
    report = {
        "device": torch.cuda.get_device_name() if args.device != "cpu" else "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "blas": openblas_report(),
        "threadpoolctl": threadpoolctl_report(),
        "torch_build": torch_build_report(),
        "env": {v: os.environ.get(v) for v in REPORTED_VARIABLES},
    }
    blas = report["blas"]
    print(f"torch {torch.__version__}: {report['threads']} thread(s); BLAS {blas['corename'] or 'no OpenBLAS'}"
          f" ({blas['config'] or report['torch_build']['blas_info']}), {blas['num_threads']} OpenBLAS thread(s);"
          f" OPENBLAS_CORETYPE={report['env']['OPENBLAS_CORETYPE']}", file=sys.stderr)
    results = {}
    for name in args.models.split(","):
        if name not in MODELS and name not in GAMES:
            results[name] = {"steps_per_s": None, "steps": 0, "params": None, "error": f"unknown model {name}"}
            continue
        try:
            results[name] = bench(name, args.seconds, args.batch, args.device)
        except Exception as e:  # report, do not hide the other models' figures
            results[name] = {"steps_per_s": None, "steps": 0, "params": None, "error": f"{type(e).__name__}: {e}"}
        print(f"torch {name}: {results[name]}", file=sys.stderr)
    report["results"] = results
    print(json.dumps(report))


if __name__ == "__main__":
    main()
