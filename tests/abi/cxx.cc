// SPDX-License-Identifier: GPL-2.0-or-later
// include/xdump.h from C++: it must compile and link as is (extern "C").
#include <cstdio>

#include "xdump.h"

int main()
{
    std::printf("%s %s\n", xdump_version(), xdump_status_name(XDUMP_E_BUSY));
    return 0;
}
