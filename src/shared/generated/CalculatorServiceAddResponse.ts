// Original file: proto/compat/calculator_service.proto


export interface CalculatorServiceAddResponse {
  'sum'?: (number);
}

export interface CalculatorServiceAddResponse__Output {
  'sum': (number);
}
