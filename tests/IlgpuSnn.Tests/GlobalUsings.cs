global using Xunit;
global using Device = IlgpuSnn.Runtime.Device;
