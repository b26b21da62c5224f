#!/usr/bin/env python3
"""Per-file mutation scores and the survivors, from a Stryker.NET JSON report.

Usage: python3 tests/mutation-scores.py [StrykerOutput/<date>/reports/mutation-report.json]
(default: the newest report under StrykerOutput/). Score = (killed + timeout) / (killed + timeout + survived +
no coverage), as Stryker counts it; every survivor is listed with its line, for review against the
equivalent-mutant comments in the code (docs/mutation-testing.md).
"""
import collections
import glob
import json
import os
import sys

paths = sys.argv[1:] or sorted(glob.glob("StrykerOutput/*/reports/mutation-report.json"), key=os.path.getmtime)[-1:]
if not paths:
    sys.exit("no report: run 'dotnet stryker --config-file stryker-config.json' first")
report = json.load(open(paths[0], encoding="utf-8"))
folders = collections.defaultdict(lambda: [0, 0])
for path, file in sorted(report["files"].items()):
    count = collections.Counter(m["status"] for m in file["mutants"])
    detected = count["Killed"] + count["Timeout"]
    undetected = count["Survived"] + count["NoCoverage"]
    if detected + undetected == 0:
        continue
    name = path.split("src/MoleculeGuardian/")[-1]
    folders[name.split("/")[0] + "/"][0] += detected
    folders[name.split("/")[0] + "/"][1] += detected + undetected
    print(f"{name:32} {100 * detected / (detected + undetected):6.2f} %  "
          f"killed {detected}, survived {count['Survived']}, no coverage {count['NoCoverage']}, ignored {count['Ignored']}")
    lines = file["source"].split("\n")
    for mutant in sorted(file["mutants"], key=lambda m: m["location"]["start"]["line"]):
        if mutant["status"] in ("Survived", "NoCoverage"):
            line = mutant["location"]["start"]["line"]
            print(f"    line {line}: {mutant['status']}, {mutant['mutatorName']}: {lines[line - 1].strip()[:80]}")
for folder, (detected, total) in sorted(folders.items()):
    print(f"{folder:32} {100 * detected / total:6.2f} %  (folder)")
