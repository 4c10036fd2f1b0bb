"""The made-up agent CLI that the example adapter drives."""

import argparse
import json
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--prompt-file", required=True)
args = parser.parse_args()
prompt = Path(args.prompt_file).read_text()
for line in prompt.splitlines():
    if line.startswith("WRITE "):
        _, path, text = line.split(" ", 2)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text.upper() + "\n")
        print(json.dumps({"type": "text", "text": f"wrote {path}"}))
print(json.dumps({"type": "usage", "in": len(prompt) // 4, "out": 10}))
print(json.dumps({"type": "done", "text": "ok"}))
