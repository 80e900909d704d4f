"""PyTorch side of `npm run bench`: the book chapter's GANs with the same layers, batch, optimisers and
training step as tsgan's benchmark (bench/run.ts runs lib/train's loop on lib/models' networks).

    python3 bench/torch_gan.py --models vanilla,dcgan,cgan,acgan --seconds 20 --batch 64 [--threads N]

Prints progress on stderr and, as the last line on stdout, one JSON object:
    {"torch": version, "threads": n, "results": {model: {"steps_per_s", "steps", "params", "error"}}}

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
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT_DIM = 100
BN = dict(eps=1e-3, momentum=0.2)
REAL_POOL = 8


def vanilla_generator():
    layers = []
    fan_in = LATENT_DIM
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


MODELS = {
    "vanilla": lambda: (Unconditional(vanilla_generator()), Unconditional(vanilla_discriminator(), True)),
    "dcgan": lambda: (Unconditional(dcgan_generator()), Unconditional(dcgan_discriminator(), True)),
    "dcgan-transposed": lambda: (Unconditional(dcgan_generator(transposed=True)), Unconditional(dcgan_discriminator(), True)),
    "cgan": lambda: (LabelTimesLatent(vanilla_generator()), CganDiscriminator()),
    "acgan": lambda: (LabelTimesLatent(dcgan_generator()), AcganDiscriminator()),
    "wgan-gp": lambda: (Unconditional(vanilla_generator()), Unconditional(vanilla_discriminator(), True)),
    "sngan-mlp": lambda: (Unconditional(vanilla_generator()), Unconditional(sn_vanilla_critic(), True)),
}

CRITIC_STEPS = {"wgan-gp": 5, "sngan-mlp": 5}


def count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_step(G, D, batch):
    adam = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-7)
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
            fake = G(torch.randn(batch, LATENT_DIM), y)
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
        fake_logit, fake_class = D(G(torch.randn(batch, LATENT_DIM), y), y)
        g_loss = F.binary_cross_entropy_with_logits(fake_logit, ones)
        if fake_class is not None:
            g_loss = g_loss + F.cross_entropy(fake_class, y)
        g_loss.backward()
        g_opt.step()
        for p in d_params:
            p.requires_grad_(True)
        return d_loss.item(), g_loss.item()

    return step


def make_critic_step(G, D, batch, kind):
    """One step of a critic GAN: CRITIC_STEPS critic updates (each on its own real batch), then one G update."""
    if kind == "wgan-gp":
        opt = dict(lr=1e-4, betas=(0.5, 0.9), eps=1e-7)
    else:
        opt = dict(lr=2e-4, betas=(0.0, 0.9), eps=1e-7)
    d_opt = torch.optim.Adam(D.parameters(), **opt)
    g_opt = torch.optim.Adam(G.parameters(), **opt)
    d_params = list(D.parameters())
    no_label = torch.zeros(batch, dtype=torch.long)

    def critic(x):
        return D(x, no_label)[0]

    def critic_update(real):
        with torch.no_grad():
            fake = G(torch.randn(batch, LATENT_DIM), no_label)
        d_opt.zero_grad(set_to_none=True)
        real_score, fake_score = critic(real), critic(fake)
        if kind == "wgan-gp":
            loss = fake_score.mean() - real_score.mean()
            eps = torch.rand(batch, 1, 1, 1)
            x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
            grad, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
            norm = torch.sqrt(grad.pow(2).sum(dim=(1, 2, 3)) + 1e-10)
            loss = loss + 10 * ((norm - 1) ** 2).mean()
        else:
            loss = F.relu(1 - real_score).mean() + F.relu(1 + fake_score).mean()
        loss.backward()
        d_opt.step()
        return loss.item()

    state = {"i": 0}

    def step(real, _labels):
        d_loss = 0.0
        for _ in range(CRITIC_STEPS[kind]):
            d_loss = critic_update(step.pool[state["i"] % REAL_POOL][0])
            state["i"] += 1
        for p in d_params:
            p.requires_grad_(False)
        g_opt.zero_grad(set_to_none=True)
        g_loss = -critic(G(torch.randn(batch, LATENT_DIM), no_label)).mean()
        g_loss.backward()
        g_opt.step()
        for p in d_params:
            p.requires_grad_(True)
        return d_loss, g_loss.item()

    return step


def bench(name, seconds, batch):
    torch.manual_seed(1234)
    G, D = MODELS[name]()
    G.train()
    D.train()
    params = {"generator": count(G), "discriminator": count(D)}
    step = make_critic_step(G, D, batch, name) if name in CRITIC_STEPS else make_step(G, D, batch)
    reals = [(torch.rand(batch, 1, 28, 28) * 2 - 1, torch.randint(0, 10, (batch,))) for _ in range(REAL_POOL)]
    step.pool = reals
    warmup_s = min(3.0, seconds * 0.1)
    i = 0
    t0 = time.perf_counter()
    warm = 0
    while warm < 1 or time.perf_counter() - t0 < warmup_s:
        step(*reals[i % REAL_POOL]); i += 1; warm += 1
    steps = 0
    t0 = time.perf_counter()
    elapsed = 0.0
    while steps < 2 or elapsed < seconds:
        step(*reals[i % REAL_POOL]); i += 1; steps += 1
        elapsed = time.perf_counter() - t0
    return {"steps_per_s": steps / elapsed, "steps": steps, "params": params, "error": None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="vanilla,dcgan,cgan,acgan")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    results = {}
    for name in args.models.split(","):
        if name not in MODELS:
            results[name] = {"steps_per_s": None, "steps": 0, "params": None, "error": f"unknown model {name}"}
            continue
        try:
            results[name] = bench(name, args.seconds, args.batch)
        except Exception as e:  # report, do not hide the other models' figures
            results[name] = {"steps_per_s": None, "steps": 0, "params": None, "error": f"{type(e).__name__}: {e}"}
        print(f"torch {name}: {results[name]}", file=sys.stderr)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()
