#pragma once
#include "vtdshim.h"
#include_next <asm/apicdef.h>
