# splits cleaned text into token ids
import sys
for line in sys.stdin:
    print(len(line))
