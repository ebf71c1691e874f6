#pragma once
#include "vtdshim.h"
#include_next <asm/io_apic.h>
