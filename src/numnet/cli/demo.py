"""``numnet demo``: train on the built-in spiral data and print the accuracy."""
from __future__ import annotations

import time


def add_parser(commands):
    parser = commands.add_parser(
        "demo", help="train a small network on built-in data",
        description="Train a 2-64-64-3 ReLU network on the built-in spiral data and report it.\n\n"
                    "example: numnet demo --epochs 100")
    parser.add_argument("--epochs", type=int, default=200, help="training epochs (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from numnet import Adam, Dense, ReLU, Sequential, Softmax, spiral_data

    X, y = spiral_data(100, 3, random_state=args.seed)
    model = Sequential([Dense(2, 64), ReLU(), Dense(64, 64), ReLU(), Dense(64, 3), Softmax()],
                       random_state=args.seed)
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=0.005),
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(X, y, epochs=args.epochs, batch_size=32, verbose=0, random_state=args.seed)
    seconds = time.perf_counter() - start
    result = model.evaluate(X, y)
    print(f"spiral data {X.shape}: 2-64-64-3 ReLU network, {args.epochs} epochs in {seconds:.1f}s")
    print(f"training accuracy {result['accuracy']:.3f}, loss {result['loss']:.4f}")
    return 0
