"""Stand-in for pip's get-pip.py bootstrap script.

ansible-test downloads get-pip.py from a host that the offline test machines cannot reach, and uses a
copy from its cache when one is there. This script does the same job from what is reachable: it
installs pip with ensurepip, then installs the requested packages from PyPI.
"""

import subprocess
import sys

# get-pip.py options that plain pip does not know.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}

arguments = [argument for argument in sys.argv[1:] if argument not in GET_PIP_ONLY_OPTIONS]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
subprocess.check_call([sys.executable, "-m", "pip", "install", *arguments])
