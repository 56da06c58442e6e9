"""Medical resource mobilisation: catalogue, stock, requests, pledges, allocation, shipments."""
