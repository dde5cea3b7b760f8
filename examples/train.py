"""The main job: train a classifier the way a PyTorch tutorial does, on ptjax.

A small MLP learns a synthetic 10-class problem (noisy class prototypes in 64 dimensions) with
DataLoader, CrossEntropyLoss, Adam and a StepLR schedule. The training step is compiled with
ptjax.compile, so forward, backward and the optimizer update run as one XLA program.

Run: python examples/train.py [--epochs N] [--eager]
"""

import argparse
import time

import numpy as np

import ptjax as torch
import ptjax.nn as nn
from ptjax.utils.data import DataLoader, TensorDataset


def make_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    prototypes = np.random.default_rng(0).standard_normal((10, 64)).astype(np.float32)
    labels = rng.integers(0, 10, n)
    x = prototypes[labels] + 1.5 * rng.standard_normal((n, 64)).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(labels)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(64, 128),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.net(x)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--eager", action="store_true", help="do not compile the step")
    args = parser.parse_args()

    torch.manual_seed(0)
    train = DataLoader(
        TensorDataset(*make_data(4096, 1)), batch_size=128, shuffle=True, drop_last=True
    )
    test_x, test_y = make_data(1024, 2)
    model = MLP()
    print(model)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

    def train_step(x, y):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    step = train_step if args.eager else torch.compile(train_step)
    for epoch in range(args.epochs):
        model.train()
        start, total = time.perf_counter(), 0.0
        for x, y in train:
            total += step(x, y).item()
        model.eval()
        with torch.no_grad():
            accuracy = (model(test_x).argmax(dim=1) == test_y).float().mean().item()
        scheduler.step()
        print(
            f"epoch {epoch + 1}: loss {total / len(train):.4f}  test accuracy {accuracy:.3f}  "
            f"lr {scheduler.get_last_lr()[0]:.2e}  ({time.perf_counter() - start:.2f} s)"
        )
    assert accuracy > 0.9, "training did not converge"


if __name__ == "__main__":
    main()
