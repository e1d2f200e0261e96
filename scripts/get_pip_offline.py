"""Offline stand-in for the get-pip.py script that ansible-test downloads.

ansible-test bootstraps pip into each of its virtual environments by running
``get-pip.py <pip options> pip==X.Y``; the host it downloads that script from is
not reachable here. It uses a copy at ~/.ansible/test/cache/get_pip_<X_Y>.py when
one exists: scripts/bootstrap places this file there. It installs the pip that
ships with CPython (ensurepip), then lets that pip install the requested version
from the package index the machine is configured for.
"""

import subprocess
import sys

# get-pip.py options that plain `pip install` does not know.
GET_PIP_ONLY = {'--no-setuptools', '--no-wheel'}


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--quiet', *args])


if __name__ == '__main__':
    main()
