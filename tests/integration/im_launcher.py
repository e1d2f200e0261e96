"""Start the real Infrastructure Manager on 127.0.0.1 with settings from the command line.

Run with the IM venv's python (scripts/bootstrap makes it): IM only reads its configuration
from fixed places (its package folder, /etc/im), so this sets ``IM.config.Config`` before IM
starts instead of writing a file there.

    python im_launcher.py PORT WORKDIR
"""

import os
import sys


def main():
    port, workdir = int(sys.argv[1]), sys.argv[2]
    os.chdir(workdir)  # IM writes tosca_cache.sqlite in its working directory
    from IM.config import Config

    Config.REST_ADDRESS = '127.0.0.1'
    Config.REST_PORT = port
    Config.ACTIVATE_XMLRPC = False
    Config.ACTIVATE_REST = True
    Config.DATA_DB = f'sqlite:///{workdir}/inf.dat'
    Config.LOG_FILE = f'{workdir}/im.log'
    Config.LOG_LEVEL = 'DEBUG'
    from IM.im_service import main as im_main

    sys.argv = ['im_service']
    return im_main()


if __name__ == '__main__':
    sys.exit(main())
