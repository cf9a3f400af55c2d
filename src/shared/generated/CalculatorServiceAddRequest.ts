// Original file: proto/compat/calculator_service.proto


export interface CalculatorServiceAddRequest {
  'num1'?: (number);
  'num2'?: (number);
}

export interface CalculatorServiceAddRequest__Output {
  'num1': (number);
  'num2': (number);
}
