# drops markup and spam rows
import csv, sys
for row in csv.DictReader(sys.stdin):
    if "<script>" not in row["text"]:
        print(row)
