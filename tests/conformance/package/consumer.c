/* A program of another project, built against an installed OpenTAPI (pkg-config or
 * find_package): initialises, lists the lines and shuts down. */
#include <tapi/tapi.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  HLINEAPP app = 0;
  DWORD devices = 0, version = TAPI_VERSION2_2;
  LINEINITIALIZEEXPARAMS params;
  memset(&params, 0, sizeof params);
  params.dwTotalSize = sizeof params;
  params.dwOptions = LINEINITIALIZEEXOPTION_USEEVENT;
  LONG r = lineInitializeEx(&app, NULL, NULL, "consumer", &devices, &version, &params);
  if (r != 0) {
    fprintf(stderr, "lineInitializeEx: %s\n", opentapi_lineerr_name(r));
    return 1;
  }
  printf("lines=%lu version=0x%08lx\n", (unsigned long)devices, (unsigned long)version);
  return lineShutdown(app) == 0 && devices > 0 ? 0 : 1;
}
