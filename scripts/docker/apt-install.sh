#!/bin/sh
# Installs Debian packages into a runtime image and leaves nothing of apt behind: no lists, no logs,
# and no service started (policy-rc.d). Behind a TLS-intercepting proxy, apt trusts the CA given as
# the build secret build_ca, for this step only.
#   apt-install.sh PACKAGE...
set -eu
ca=
if [ -s /run/secrets/build_ca ]; then ca="-o Acquire::https::CAInfo=/run/secrets/build_ca"; fi
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
# shellcheck disable=SC2086 # $ca is two words or none
apt-get $ca update
# shellcheck disable=SC2086
apt-get $ca install -y --no-install-recommends "$@"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /usr/sbin/policy-rc.d
