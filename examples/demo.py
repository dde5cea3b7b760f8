"""A short tensor + autograd tour, written exactly as a PyTorch user writes it.

Run: python examples/demo.py
"""

import ptjax as torch

torch.manual_seed(0)

# tensors, dtypes, broadcasting
x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print("x =", x, x.dtype, x.shape)
print("x.mean(dim=0) =", x.mean(dim=0))
print("int / int ->", torch.arange(4) / 2)

# autograd: fit y = 3x + 1 with plain gradient descent
xs = torch.linspace(-1, 1, 32).unsqueeze(1)
ys = 3 * xs + 1
w = torch.zeros(1, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for _ in range(200):
    loss = ((xs @ w + b - ys) ** 2).mean()
    w.grad = None
    b.grad = None
    loss.backward()
    with torch.no_grad():
        w -= 0.5 * w.grad
        b -= 0.5 * b.grad
print(f"after 200 steps: w={w.item():.4f} b={b.item():.4f} loss={loss.item():.2e}")
assert abs(w.item() - 3) < 1e-3 and abs(b.item() - 1) < 1e-3
